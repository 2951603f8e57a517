#if canImport(Glibc)
import Glibc
#endif

/// `1234567` → `1,234,567`.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return value < 0 ? "-" + out : out
}

/// Bytes as Keras prints them: `244.26 KB`, `413.18 MB` (powers of 1024).
func humanSize(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 100).rounded() / 100
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < 2 { text += String(repeating: "0", count: 2 - decimals) }
    }
    return text + " " + units[unit]
}

/// `[8, 16]`
func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Pads `text` on the right (or left) to `width` characters.
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let count = text.count
    guard count < width else { return text }
    let spaces = String(repeating: " ", count: width - count)
    return right ? spaces + text : text + spaces
}

/// The one number format of text output: three significant digits, `1.23e-5` style for small or large values
/// (`1.00e-3`, never `10.0e-4`), plain decimals between 0.01 and 10,000; `0`, `inf`, `-inf`, `nan` as such. JSON
/// carries the exact values.
func significant(_ value: Double) -> String {
    if value == 0 { return "0" }
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let magnitude = abs(value)
    var exponent = Int((log10(magnitude)).rounded(.down))
    var mantissa = magnitude / pow(10, Double(exponent))
    mantissa = (mantissa * 100).rounded() / 100
    if mantissa >= 10 {
        mantissa /= 10
        exponent += 1
    }
    let sign = value < 0 ? "-" : ""
    if exponent >= -2 && exponent < 4 {
        let decimals = max(0, 2 - exponent)
        return sign + decimal(magnitude, decimals: decimals)
    }
    return sign + decimal(mantissa, decimals: 2) + "e" + String(exponent)
}

/// `value` rounded to `decimals` places, with exactly that many digits after the point.
func decimal(_ value: Double, decimals: Int) -> String {
    let scale = pow(10, Double(decimals))
    let rounded = (value * scale).rounded()
    // The sign goes before the padded digits: -0.19299 is "-0.192990", not "0.-19299".
    guard rounded >= 0 else { return "-" + decimal(-value, decimals: decimals) }
    var digits = String(Int64(rounded))
    guard decimals > 0 else { return digits }
    while digits.count <= decimals { digits = "0" + digits }
    return String(digits.dropLast(decimals)) + "." + String(digits.suffix(decimals))
}
