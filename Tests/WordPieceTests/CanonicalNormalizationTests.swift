import Foundation
import Testing
@testable import WordPiece

@Suite("Canonical normalization")
struct CanonicalNormalizationTests {
    static func scalars(_ values: [UInt32]) -> [Unicode.Scalar] { values.map { Unicode.Scalar($0)! } }

    @Test("NFD orders combining marks that come from different characters (Foundation's NFD does not)")
    func decompositionOrder() {
        // Ẳ + TIBETAN VOWEL SIGN REVERSED II: ccc 129 and 130 go before the two ccc-230 marks.
        let nfd = CanonicalNormalization.decomposed(Self.scalars([0x1EB2, 0xF81]))
        #expect(nfd == Self.scalars([0x41, 0xF71, 0xF80, 0x306, 0x309]))
    }

    @Test("NFC composes Hangul as Python does (Foundation's NFC does not)", arguments: [
        ([0xC3BC, 0x11AB], [0xC3C0]),  // LV syllable + trailing jamo → LVT syllable
        ([0xD360, 0x11A7], [0xD360, 0x11A7]),  // U+11A7 is no trailing jamo: kept, not dropped
        ([0x1100, 0x1161, 0x11A8], [0xAC01]),
        ([0x65, 0x301, 0x1100, 0x1161], [0xE9, 0xAC00]),
    ] as [([UInt32], [UInt32])])
    func hangul(input: [UInt32], expected: [UInt32]) {
        #expect(CanonicalNormalization.composed(Self.scalars(input)) == Self.scalars(expected))
    }

    @Test("NFC and NFD of ordinary text")
    func ordinary() {
        #expect(CanonicalNormalization.composed(Array("Cafe\u{301} a\u{323}\u{302}".unicodeScalars))
            == Array("Caf\u{E9} \u{1EAD}".unicodeScalars))
        #expect(CanonicalNormalization.decomposed(Array("\u{212B}".unicodeScalars)) == Self.scalars([0x41, 0x30A]))
        #expect(CanonicalNormalization.composed(Array("\u{212B}".unicodeScalars)) == Self.scalars([0xC5]))
    }

    @Test("NFD and NFC agree with Foundation's on every single code point of Unicode 14.0")
    func everyCodePoint() {
        var disagreements: [UInt32] = []
        for value in UInt32(0xC0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.isAssignedInReference,
                  scalar.referenceCategory != .privateUse else { continue }
            let string = String(Character(scalar))
            let nfd = Array(string.decomposedStringWithCanonicalMapping.unicodeScalars)
            let nfc = Array(string.precomposedStringWithCanonicalMapping.unicodeScalars)
            if CanonicalNormalization.decomposed([scalar]) != nfd || CanonicalNormalization.composed([scalar]) != nfc {
                disagreements.append(value)
            }
        }
        #expect(disagreements.isEmpty)
    }

    /// Expected NFD and NFC computed with Python 3.11.7's `unicodedata.normalize` (Unicode 14.0.0), pasted as literals:
    /// decomposed accents, singletons, composition exclusions and non-starter decompositions, combining marks to
    /// reorder and blocked ones, starters that compose (Oriya, Sinhala, kana, Kaithi), and Hangul.
    @Test("NFD and NFC agree with Python 3.11's unicodedata", arguments: [
        ([0x65, 0x301], [0x65, 0x301], [0xE9]),
        ([0x43, 0x61, 0x66, 0x65, 0x301, 0x20, 0x61, 0x302, 0x323],
         [0x43, 0x61, 0x66, 0x65, 0x301, 0x20, 0x61, 0x323, 0x302], [0x43, 0x61, 0x66, 0xE9, 0x20, 0x1EAD]),
        ([0xC5, 0x212B, 0x2126], [0x41, 0x30A, 0x41, 0x30A, 0x3A9], [0xC5, 0xC5, 0x3A9]),
        ([0x1EB2, 0xF81], [0x41, 0xF71, 0xF80, 0x306, 0x309], [0x1EB2, 0xF71, 0xF80]),
        ([0x71, 0x307, 0x323], [0x71, 0x323, 0x307], [0x71, 0x323, 0x307]),
        ([0x61, 0x315, 0x300, 0x5AE], [0x61, 0x5AE, 0x300, 0x315], [0xE0, 0x5AE, 0x315]),
        ([0x65, 0x327, 0x301], [0x65, 0x327, 0x301], [0x229, 0x301]),
        ([0x61, 0x301, 0x301], [0x61, 0x301, 0x301], [0xE1, 0x301]),
        ([0x41, 0x30A, 0x327], [0x41, 0x327, 0x30A], [0xC5, 0x327]),
        ([0x1E0A, 0x323], [0x44, 0x323, 0x307], [0x1E0C, 0x307]),
        ([0x3B9, 0x308, 0x301, 0x1FBE], [0x3B9, 0x308, 0x301, 0x3B9], [0x390, 0x3B9]),
        ([0x958, 0x344, 0xF73, 0xF75, 0xFB2C],
         [0x915, 0x93C, 0xF71, 0xF71, 0xF72, 0xF74, 0x308, 0x301, 0x5E9, 0x5BC, 0x5C1],
         [0x915, 0x93C, 0xF71, 0xF71, 0xF72, 0xF74, 0x308, 0x301, 0x5E9, 0x5BC, 0x5C1]),
        ([0x1D15F, 0x1D165], [0x1D158, 0x1D165, 0x1D165], [0x1D158, 0x1D165, 0x1D165]),
        ([0x1C4, 0xBD], [0x1C4, 0xBD], [0x1C4, 0xBD]),
        ([0xB47, 0xB3E, 0xDD9, 0xDCF, 0xDCA], [0xB47, 0xB3E, 0xDD9, 0xDCF, 0xDCA], [0xB4B, 0xDDD]),
        ([0x304B, 0x3099, 0x30CF, 0x309A], [0x304B, 0x3099, 0x30CF, 0x309A], [0x304C, 0x30D1]),
        ([0x11099, 0x110BA], [0x11099, 0x110BA], [0x1109A]),
        ([0xD55C, 0xAD6D, 0xC5B4], [0x1112, 0x1161, 0x11AB, 0x1100, 0x116E, 0x11A8, 0x110B, 0x1165],
         [0xD55C, 0xAD6D, 0xC5B4]),
        ([0x1100, 0x1161, 0x11A8], [0x1100, 0x1161, 0x11A8], [0xAC01]),
        ([0xC3BC, 0x11AB], [0x110A, 0x1168, 0x11AB], [0xC3C0]),
        ([0xD360, 0x11A7], [0x1111, 0x1164, 0x11A7], [0xD360, 0x11A7]),
        ([0x1100, 0x301, 0x1161], [0x1100, 0x301, 0x1161], [0x1100, 0x301, 0x1161]),
        ([0x1112, 0x1161, 0x11AB, 0x11A8], [0x1112, 0x1161, 0x11AB, 0x11A8], [0xD55C, 0x11A8]),
    ] as [([UInt32], [UInt32], [UInt32])])
    func python(input: [UInt32], nfd: [UInt32], nfc: [UInt32]) {
        #expect(CanonicalNormalization.decomposed(Self.scalars(input)) == Self.scalars(nfd))
        #expect(CanonicalNormalization.composed(Self.scalars(input)) == Self.scalars(nfc))
    }

    @Test("The generated tables are sorted, as the binary searches need")
    func tablesSorted() {
        func isStrictlyAscending<T: Comparable>(_ values: [T]) -> Bool {
            zip(values, values.dropFirst()).allSatisfy { $0 < $1 }
        }
        #expect(isStrictlyAscending(UnicodeTables.canonicalDecompositions.map { $0 >> 42 }))
        #expect(isStrictlyAscending(UnicodeTables.primaryComposites.map { $0 >> 21 }))
        #expect(isStrictlyAscending(UnicodeTables.combiningClasses.map { $0 >> 8 }))
        #expect(isStrictlyAscending(UnicodeTables.composingStarters))
    }
}
