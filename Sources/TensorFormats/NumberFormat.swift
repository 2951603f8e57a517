#if canImport(Glibc)
import Glibc
#endif

/// The one number format of text output: three significant digits, `1.23e-5` style for small or large values
/// (`1.00e-3`, never `10.0e-4`), plain decimals between 0.01 and 10,000; `0`, `inf`, `-inf`, `nan` as such. JSON
/// carries the exact values.
public func significant(_ value: Double) -> String {
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
public func decimal(_ value: Double, decimals: Int) -> String {
    let scale = pow(10, Double(decimals))
    let rounded = (value * scale).rounded()
    // The sign goes before the padded digits: -0.19299 is "-0.192990", not "0.-19299".
    guard rounded >= 0 else { return "-" + decimal(-value, decimals: decimals) }
    var digits = String(Int64(rounded))
    guard decimals > 0 else { return digits }
    while digits.count <= decimals { digits = "0" + digits }
    return String(digits.dropLast(decimals)) + "." + String(digits.suffix(decimals))
}
