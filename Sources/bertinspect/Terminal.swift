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
    guard hasControlCharacter(text, keepingNewlines: keepingNewlines) else { return text }
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

/// Whether `text` holds a character `escaped` changes, by its UTF-8 bytes: C0 controls and DEL are single bytes,
/// C1 controls (U+0080–U+009F) are 0xC2 followed by 0x80–0x9F.
private func hasControlCharacter(_ text: String, keepingNewlines: Bool) -> Bool {
    var previous: UInt8 = 0
    for byte in text.utf8 {
        if byte < 0x20 {
            if !(keepingNewlines && byte == 0x0A) { return true }
        } else if byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F) {
            return true
        }
        previous = byte
    }
    return false
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

/// Writes text output to stdout with any control character that is not one of its own line breaks escaped, and,
/// on a terminal without `NO_COLOR`, the verdicts coloured (see `coloured`).
func emit(_ text: String, terminator: String = "\n") {
    let safe = escaped(text, keepingNewlines: true)
    print(useColour ? coloured(safe) : safe, terminator: terminator)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
let useColour: Bool = isatty(1) != 0 && getenv("NO_COLOR").map { String(cString: $0).isEmpty } ?? true

/// The verdict words of verify and diff in red or green: `FAIL`/`changed` red, `pass`/`PASS`/`unchanged` green.
/// Applied after escaping, so these are the only escape sequences the tool ever prints.
func coloured(_ text: String) -> String {
    let red = "\u{1b}[31m", green = "\u{1b}[32m", reset = "\u{1b}[0m"
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        var line = String(line)
        for (word, colour) in [("   FAIL", red), ("   pass", green), ("   unchanged", green), ("   changed", red)] {
            if let range = line.firstRange(of: word) {
                line.replaceSubrange(range, with: String(word.prefix { $0 == " " }) + colour + word.drop { $0 == " " } + reset)
                break
            }
        }
        if line.hasPrefix("PASS:") { line = green + "PASS" + reset + line.dropFirst(4) }
        if line.hasPrefix("FAIL:") { line = red + "FAIL" + reset + line.dropFirst(4) }
        return line
    }.joined(separator: "\n")
}
