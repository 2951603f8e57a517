/// The character database the reference tokenizer saw: Python 3.11's `unicodedata`, Unicode 14.0.0.
///
/// transformers' slow `BertTokenizer` classifies characters with `unicodedata.category` and lower-cases with
/// `str.lower()`, so its output depends on the Python that runs it; fixtures/tokenizer was written by Python 3.11.7.
/// Swift's own tables are newer. To tokenize exactly like the reference, code points assigned after Unicode 14.0 are
/// treated as unassigned (category Cn: the tokenizer drops them as control characters and never lower-cases them), and
/// the categories that changed since 14.0 for older code points are restored. Compared with Python 3.11.7 over every
/// code point (Swift 6.3.1): categories, lower-case mappings, canonical decompositions and combining classes agree.
extension Unicode.Scalar {
    /// Whether Unicode 14.0 assigns this code point (noncharacters are assigned an age but stay Cn).
    var isAssignedInReference: Bool {
        guard let age = properties.age else { return false }
        return (age.major, age.minor) <= (14, 0)
    }

    /// `unicodedata.category` in Unicode 14.0.
    var referenceCategory: Unicode.GeneralCategory {
        guard isAssignedInReference else { return .unassigned }
        switch value {
        case 0x0295: return .lowercaseLetter  // LATIN LETTER PHARYNGEAL VOICED FRICATIVE: Lo since Unicode 16.0
        case 0x1171E: return .nonspacingMark  // AHOM CONSONANT SIGN MEDIAL RA: Mc since Unicode 15.0
        default: return properties.generalCategory
        }
    }

    /// Appends Python's `str.lower()` of this code point alone: the full (possibly multi-code-point) mapping.
    ///
    /// Alone, a capital sigma is never word-final, so `Σ` becomes `σ`, as in Python.
    func appendLowercase(to output: inout [Unicode.Scalar]) {
        if value < 0x80 {
            output.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value) + 0x20) : self)
        } else if isAssignedInReference {
            output.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
        } else {
            output.append(self)
        }
    }
}
