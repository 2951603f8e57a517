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

/// A text as a result line shows it: escaped, and cut after 200 characters (a 10 MB review is not echoed whole).
func preview(_ text: String) -> String {
    guard text.utf8.count > 200, let cut = text.index(text.startIndex, offsetBy: 200, limitedBy: text.endIndex), cut < text.endIndex else {
        return shown(text)
    }
    return shown(String(text[..<cut])) + " … (\(text.count) characters)"
}

/// Writes text output to stdout with any control character that is not one of its own line breaks escaped.
func emit(_ text: String, terminator: String = "\n") {
    print(escaped(text, keepingNewlines: true), terminator: terminator)
}
