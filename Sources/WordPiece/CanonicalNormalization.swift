/// Unicode canonical normalization (Python's `unicodedata.normalize("NFD"|"NFC", …)`) on code points.
///
/// The data are Python 3.11's (Unicode 14.0), generated into ``UnicodeTables`` by `tools/gen_unicode_tables.py`;
/// Hangul syllables decompose and compose algorithmically (Unicode §3.12). The algorithms follow CPython's
/// `Modules/unicodedata.c`: decomposition code point by code point, applied recursively, followed by the canonical
/// ordering algorithm; composition of each starter with the unblocked code points after it, and of a leading and a
/// vowel jamo (and a trailing one) into a syllable.
enum CanonicalNormalization {
    /// NFD: the canonical decomposition of every code point, with combining marks put in canonical order.
    static func decomposed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for scalar in scalars { appendDecomposition(of: scalar, to: &output) }
        putInCanonicalOrder(&output)
        return output
    }

    /// NFC: canonical decomposition followed by canonical composition.
    static func composed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Text with nothing to decompose and nothing that combines with what precedes it is its own NFC.
        guard scalars.contains(where: \.mayChangeUnderNFC) else { return scalars }
        let decomposed = decomposed(scalars)
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(decomposed.count)
        // Code points after the current one that have been composed into an earlier one.
        var consumed = [Bool](repeating: false, count: decomposed.count)
        var index = 0
        while index < decomposed.count {
            if consumed[index] {
                index += 1
                continue
            }
            var value = decomposed[index].value
            // Hangul: a leading + vowel jamo (+ trailing jamo) make a syllable; other jamo stay as they are.
            if (0x1100..<0x1113).contains(value), index + 1 < decomposed.count,
               (0x1161..<0x1176).contains(decomposed[index + 1].value) {
                value = 0xAC00 + ((value - 0x1100) * 21 + (decomposed[index + 1].value - 0x1161)) * 28
                index += 2
                if index < decomposed.count, (0x11A8..<0x11C3).contains(decomposed[index].value) {
                    value += decomposed[index].value - 0x11A7
                    index += 1
                }
                output.append(Unicode.Scalar(value)!)
                continue
            }
            // Compose the starter with each following code point that is not blocked from it: one with no starter
            // between, and no combining mark of the same or a higher class that stays.
            if decomposed[index].combiningClass == 0 {
                var lastClass: UInt8 = 0
                var other = index + 1
                while other < decomposed.count {
                    if consumed[other] {
                        other += 1
                        continue
                    }
                    let candidate = decomposed[other].value
                    let candidateClass = decomposed[other].combiningClass
                    if lastClass != 0 && (candidateClass == 0 || lastClass >= candidateClass) {
                        if candidateClass == 0 { break }  // a starter after a mark that stays: blocked from here on
                        other += 1
                        continue
                    }
                    if let composite = Self.composite(value, candidate) {
                        value = composite
                        consumed[other] = true
                    } else {
                        if candidateClass == 0 { break }
                        lastClass = candidateClass
                    }
                    other += 1
                }
            }
            output.append(Unicode.Scalar(value)!)
            index += 1
        }
        return output
    }

    /// Appends the full canonical decomposition of `scalar`: its mapping, decomposed again, or itself.
    private static func appendDecomposition(of scalar: Unicode.Scalar, to output: inout [Unicode.Scalar]) {
        let value = scalar.value
        if (0xAC00...0xD7A3).contains(value) {
            let index = value - 0xAC00
            output.append(Unicode.Scalar(0x1100 + index / 588)!)
            output.append(Unicode.Scalar(0x1161 + (index % 588) / 28)!)
            if index % 28 != 0 { output.append(Unicode.Scalar(0x11A7 + index % 28)!) }
        } else if let mapping = decompositionMapping(of: value) {
            appendDecomposition(of: Unicode.Scalar(mapping.first)!, to: &output)
            if mapping.second != 0 { appendDecomposition(of: Unicode.Scalar(mapping.second)!, to: &output) }
        } else {
            output.append(scalar)
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

    /// The single-level canonical decomposition mapping of a code point (Hangul syllables aside): one or two code
    /// points, `second` 0 for one.
    fileprivate static func decompositionMapping(of value: UInt32) -> (first: UInt32, second: UInt32)? {
        let entries = UnicodeTables.canonicalDecompositions
        let key = UInt64(value)
        guard key >= entries[0] >> 42, key <= entries[entries.count - 1] >> 42 else { return nil }
        let index = firstIndex(in: entries) { $0 >> 42 >= key }
        guard index < entries.count, entries[index] >> 42 == key else { return nil }
        return (UInt32(truncatingIfNeeded: entries[index] >> 21) & 0x1F_FFFF,
                UInt32(truncatingIfNeeded: entries[index]) & 0x1F_FFFF)
    }

    /// The primary composite of `first` followed by `second`, if there is one.
    private static func composite(_ first: UInt32, _ second: UInt32) -> UInt32? {
        let entries = UnicodeTables.primaryComposites
        let key = UInt64(first) << 21 | UInt64(second)
        let index = firstIndex(in: entries) { $0 >> 21 >= key }
        guard index < entries.count, entries[index] >> 21 == key else { return nil }
        return UInt32(truncatingIfNeeded: entries[index]) & 0x1F_FFFF
    }

    /// The canonical combining class of a code point.
    fileprivate static func combiningClass(of value: UInt32) -> UInt8 {
        let entries = UnicodeTables.combiningClasses
        // The entry after the last one that starts at or below `value`.
        let index = firstIndex(in: entries) { $0 >> 8 > value }
        return index == 0 ? 0 : UInt8(truncatingIfNeeded: entries[index - 1])
    }

    /// Whether a code point is a starter that composes with what precedes it (a vowel or trailing Hangul jamo, or
    /// the second code point of some other primary composite, such as U+0B3E).
    fileprivate static func isComposingStarter(_ value: UInt32) -> Bool {
        if (0x1161...0x1175).contains(value) || (0x11A8...0x11C2).contains(value) { return true }
        let starters = UnicodeTables.composingStarters
        let index = firstIndex(in: starters) { $0 >= value }
        return index < starters.count && starters[index] == value
    }

    /// Binary search: the index of the first element of `sorted` that satisfies `isAtOrAfter`, which is false for a
    /// prefix of the array and true for the rest (`sorted.count` if it is true for none).
    @inline(__always)
    private static func firstIndex<Element>(in sorted: [Element], where isAtOrAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrAfter(sorted[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

extension Unicode.Scalar {
    /// The canonical combining class in Unicode 14.0 (0 for everything below U+0300).
    fileprivate var combiningClass: UInt8 {
        value < 0x300 ? 0 : CanonicalNormalization.combiningClass(of: value)
    }

    /// Whether NFC could differ from the text at this code point: it decomposes, is a combining mark, or may
    /// compose with the code point before it.
    fileprivate var mayChangeUnderNFC: Bool {
        guard value >= 0xC0 else { return false }
        return (0xAC00...0xD7A3).contains(value) || combiningClass != 0
            || CanonicalNormalization.isComposingStarter(value)
            || CanonicalNormalization.decompositionMapping(of: value) != nil
    }
}
