import Foundation

/// Unicode canonical normalization (Python's `unicodedata.normalize("NFD"|"NFC", …)`) on code points.
///
/// Foundation supplies the per-character decomposition mappings (read once into a table) and the composition of
/// everything but Hangul. On Linux it gets three things wrong that are done here instead: its whole-string NFD does
/// not reorder combining marks that come from different characters (`"Ẳ\u{F81}"`), and its NFC neither composes a
/// precomposed LV syllable with a following trailing jamo (`"쎼\u{11AB}"`) nor keeps U+11A7 after an LV syllable (it
/// drops it). Decomposition is character by character followed by the canonical ordering algorithm; composition
/// splits the decomposed text into runs of conjoining jamo (U+1100–U+11FF, which compose only with each other,
/// algorithmically) and runs of everything else (given to Foundation).
enum CanonicalNormalization {
    /// NFD: the canonical decomposition of every code point, with combining marks put in canonical order.
    static func decomposed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let table = DecompositionTable.shared
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for scalar in scalars {
            let value = scalar.value
            if (0xAC00...0xD7A3).contains(value) {
                // Hangul syllables decompose algorithmically (Unicode §3.12).
                let index = value - 0xAC00
                output.append(Unicode.Scalar(0x1100 + index / 588)!)
                output.append(Unicode.Scalar(0x1161 + (index % 588) / 28)!)
                if index % 28 != 0 { output.append(Unicode.Scalar(0x11A7 + index % 28)!) }
            } else if let mapping = table.mappings[value] {
                output.append(contentsOf: mapping)
            } else {
                output.append(scalar)
            }
        }
        putInCanonicalOrder(&output)
        return output
    }

    /// NFC: canonical decomposition followed by canonical composition.
    static func composed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Text with nothing to decompose and nothing that combines with what precedes it is its own NFC.
        let table = DecompositionTable.shared
        guard scalars.contains(where: { table.mayChangeUnderNFC($0) }) else { return scalars }
        let decomposed = decomposed(scalars)
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(decomposed.count)
        var start = 0
        while start < decomposed.count {
            let isJamo = decomposed[start].isConjoiningJamo
            var end = start + 1
            while end < decomposed.count, decomposed[end].isConjoiningJamo == isJamo { end += 1 }
            if isJamo {
                composeHangul(decomposed[start..<end], to: &output)
            } else {
                let run = String(String.UnicodeScalarView(decomposed[start..<end]))
                output.append(contentsOf: run.precomposedStringWithCanonicalMapping.unicodeScalars)
            }
            start = end
        }
        return output
    }

    /// Composes leading + vowel (+ trailing) jamo into syllables (Unicode §3.12); other jamo stay as they are.
    private static func composeHangul(_ jamo: ArraySlice<Unicode.Scalar>, to output: inout [Unicode.Scalar]) {
        var index = jamo.startIndex
        while index < jamo.endIndex {
            let leading = jamo[index].value
            guard (0x1100..<0x1113).contains(leading), index + 1 < jamo.endIndex,
                  (0x1161..<0x1176).contains(jamo[index + 1].value) else {
                output.append(jamo[index])
                index += 1
                continue
            }
            var syllable = 0xAC00 + ((leading - 0x1100) * 21 + (jamo[index + 1].value - 0x1161)) * 28
            index += 2
            if index < jamo.endIndex, (0x11A8..<0x11C3).contains(jamo[index].value) {
                syllable += jamo[index].value - 0x11A7
                index += 1
            }
            output.append(Unicode.Scalar(syllable)!)
        }
    }

    /// Stably sorts each run of non-starters (combining class > 0) by combining class.
    private static func putInCanonicalOrder(_ scalars: inout [Unicode.Scalar]) {
        var index = 1
        while index < scalars.count {
            let scalar = scalars[index]
            let combiningClass = scalar.combiningClass
            if combiningClass != 0 {
                var position = index
                while position > 0 {
                    let previous = scalars[position - 1].combiningClass
                    guard previous > combiningClass else { break }
                    scalars[position] = scalars[position - 1]
                    position -= 1
                }
                scalars[position] = scalar
            }
            index += 1
        }
    }
}

extension Unicode.Scalar {
    /// Whether this is a conjoining Hangul jamo, the only code points Hangul syllables compose from.
    fileprivate var isConjoiningJamo: Bool { (0x1100...0x11FF).contains(value) }

    /// The canonical combining class (0 for everything below U+0300).
    fileprivate var combiningClass: UInt8 { value < 0x300 ? 0 : properties.canonicalCombiningClass.rawValue }
}

/// The canonical decompositions of Unicode 14.0 (Hangul syllables aside), read from Foundation once.
private struct DecompositionTable: Sendable {
    /// Every code point that has a canonical decomposition lies in these ranges (derived from Python 3.11's
    /// `unicodedata.decomposition`, Unicode 14.0; code points assigned later never reach normalization).
    static let rangesWithDecompositions: [ClosedRange<UInt32>] = [
        0xC0...0x233, 0x340...0x4F9, 0x622...0x626, 0x6C0...0x6D3, 0x929...0xA5E, 0xB48...0xD4C, 0xDDA...0xDDE,
        0xF43...0x1026, 0x1B06...0x1B43, 0x1E00...0x2001, 0x2126...0x232A, 0x2ADC...0x2ADC, 0x304C...0x30FE,
        0xF900...0xFB4E, 0x1109A...0x110AB, 0x1112E...0x1112F, 0x1134B...0x1134C, 0x114BB...0x114BE,
        0x115BA...0x115BB, 0x11938...0x11938, 0x1D15E...0x1D1C0, 0x2F800...0x2FA1D,
    ]

    static let shared = DecompositionTable()

    /// Full canonical decomposition of each code point that has one.
    let mappings: [UInt32: [Unicode.Scalar]]
    /// Code points that follow the first one in some decomposition: the only starters that can compose with what
    /// precedes them (U+0B3E, U+1161…, U+3099…); every combining mark is also treated as one.
    let composingFollowers: Set<UInt32>

    private init() {
        var mappings: [UInt32: [Unicode.Scalar]] = [:]
        var followers: Set<UInt32> = []
        for range in Self.rangesWithDecompositions {
            for value in range {
                guard let scalar = Unicode.Scalar(value), scalar.isAssignedInReference else { continue }
                let mapping = Array(String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars)
                guard mapping != [scalar] else { continue }
                mappings[value] = mapping
                for follower in mapping.dropFirst() { followers.insert(follower.value) }
            }
        }
        // Hangul: a vowel jamo composes with a leading one, a trailing jamo with an LV syllable.
        followers.formUnion(0x1161...0x1175)
        followers.formUnion(0x11A8...0x11C2)
        self.mappings = mappings
        composingFollowers = followers
    }

    /// Whether NFC could differ from the text at this code point: it decomposes, is a combining mark, or may
    /// compose with the code point before it.
    func mayChangeUnderNFC(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        guard value >= 0xC0 else { return false }
        return mappings[value] != nil || (0xAC00...0xD7A3).contains(value) || scalar.combiningClass != 0
            || composingFollowers.contains(value)
    }
}
