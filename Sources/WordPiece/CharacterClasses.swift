/// The character classes of transformers' `tokenization_utils.py` and `BasicTokenizer`, and Python's `str.isspace`.
extension Unicode.Scalar {
    /// transformers' `_is_whitespace`: space, tab, newline, carriage return, or category Zs.
    var isBERTWhitespace: Bool {
        switch value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return false
        default: return referenceCategory == .spaceSeparator
        }
    }

    /// transformers' `_is_control`: any category C* (Cc, Cf, Cn, Co, Cs) except tab, newline and carriage return.
    var isBERTControl: Bool {
        switch value {
        case 0x09, 0x0A, 0x0D: return false
        case 0..<0x20, 0x7F: return true
        case 0x20..<0x7F: return false
        default:
            switch referenceCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// transformers' `_is_punctuation`: every non-alphanumeric printable ASCII character, or category P*.
    var isBERTPunctuation: Bool {
        switch value {
        case 33...47, 58...64, 91...96, 123...126: return true
        case 0..<0x80: return false
        default:
            switch referenceCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                return true
            default: return false
            }
        }
    }

    /// Category Mn, the accents `_run_strip_accents` removes after NFD (none lies below U+0300).
    var isNonspacingMark: Bool { value >= 0x300 && referenceCategory == .nonspacingMark }

    /// `BasicTokenizer._is_chinese_char`: the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana).
    var isCJKIdeograph: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// Python's `str.isspace`, which `str.split()` splits on: Zs, or bidirectional class WS, B or S.
    ///
    /// The set has not changed since Unicode 6.3; `\u{2028}` and `\u{2029}` are in it although the tokenizer's own
    /// `_is_whitespace` leaves them alone.
    var isPythonWhitespace: Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default: return false
        }
    }
}
