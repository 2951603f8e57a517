#if canImport(Glibc)
import Glibc
#endif

/// `text` with every control character escaped (`\n`, `\t`, `\u{1b}`…), so a name, label or text taken from a file
/// can neither break a line nor send escape sequences to the terminal. Used on every value a text output shows.
func shown(_ text: String) -> String {
    escaped(text, keepingNewlines: false)
}

/// `text` with control characters escaped; with `keepingNewlines`, the line breaks the output itself made stay.
func escaped(_ text: String, keepingNewlines: Bool) -> String {
    guard text.unicodeScalars.contains(where: { isControl($0) }) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 16)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n" where keepingNewlines: out.unicodeScalars.append(scalar)
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// C0 and C1 control characters and DEL.
private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// Writes text output to stdout with any control character that is not one of its own line breaks escaped.
func emit(_ text: String, terminator: String = "\n") {
    print(escaped(text, keepingNewlines: true), terminator: terminator)
}
