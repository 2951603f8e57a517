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

    @Test("NFD agrees with Foundation's decomposition of every single code point of Unicode 14.0")
    func everyCodePoint() {
        var disagreements: [UInt32] = []
        for value in UInt32(0xC0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.isAssignedInReference,
                  scalar.referenceCategory != .privateUse else { continue }
            let foundation = Array(String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars)
            if CanonicalNormalization.decomposed([scalar]) != foundation { disagreements.append(value) }
        }
        #expect(disagreements.isEmpty)
    }
}
