#!/usr/bin/env python3
"""Generates Sources/WordPiece/UnicodeTables.swift from Python's unicodedata.

Usage (from the repository root, with Python 3.11, whose unicodedata is Unicode 14.0.0):

    python3 tools/gen_unicode_tables.py > Sources/WordPiece/UnicodeTables.swift

The WordPiece tokenizer must normalize exactly as transformers' BertTokenizer does under Python 3.11, so the tables
are Python's: the canonical decomposition mappings (single level, as `unicodedata.decomposition` gives them, Hangul
syllables aside, which decompose algorithmically), the canonical combining classes, and the primary composites that
canonical composition (NFC) may produce. Before printing anything the script checks the tables by normalizing every
code point, and many random strings, with a re-implementation of CPython's algorithm and comparing the result with
`unicodedata.normalize`; it refuses to run under any other Unicode version.
"""

import random
import sys
import unicodedata

UNICODE_VERSION = "14.0.0"
HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)


def build_tables():
    decompositions = {}  # code point -> tuple of one or two code points
    for code in range(0x110000):
        if code in HANGUL_SYLLABLES:
            continue
        mapping = unicodedata.decomposition(chr(code))
        if not mapping or mapping.startswith("<"):
            continue
        values = tuple(int(part, 16) for part in mapping.split())
        assert 1 <= len(values) <= 2 and 0 not in values, (hex(code), mapping)
        decompositions[code] = values

    combining = {code: unicodedata.combining(chr(code)) for code in range(0x110000)}

    # Primary composites: two-code-point canonical decompositions that NFC recomposes; this leaves out the composition
    # exclusions, the non-starter decompositions (singletons have one code point and never compose).
    compositions = {}
    for code, values in decompositions.items():
        if len(values) != 2:
            continue
        if unicodedata.normalize("NFC", unicodedata.normalize("NFD", chr(code))) != chr(code):
            continue
        assert values not in compositions
        compositions[values] = code
    return decompositions, combining, compositions


# A re-implementation of CPython's `nfd_nfkd` and `nfc_nfkc` (Modules/unicodedata.c) on the tables, to check them.

def nfd(text, decompositions, combining):
    output = []

    def append(code):
        if code in HANGUL_SYLLABLES:
            index = code - 0xAC00
            output.append(0x1100 + index // 588)
            output.append(0x1161 + (index % 588) // 28)
            if index % 28:
                output.append(0x11A7 + index % 28)
        elif code in decompositions:
            for part in decompositions[code]:
                append(part)
        else:
            output.append(code)

    for character in text:
        append(ord(character))
    for index in range(1, len(output)):  # canonical ordering: a stable insertion sort of non-starters
        code = output[index]
        ccc = combining[code]
        if ccc == 0:
            continue
        position = index
        while position > 0 and combining[output[position - 1]] > ccc:
            output[position] = output[position - 1]
            position -= 1
        output[position] = code
    return output


def nfc(text, decompositions, combining, compositions, firsts):
    decomposed = nfd(text, decompositions, combining)
    output = []
    used = [False] * len(decomposed)
    index = 0
    while index < len(decomposed):
        if used[index]:
            index += 1
            continue
        code = decomposed[index]
        if (0x1100 <= code < 0x1113 and index + 1 < len(decomposed)
                and 0x1161 <= decomposed[index + 1] < 0x1176):
            code = 0xAC00 + ((code - 0x1100) * 21 + decomposed[index + 1] - 0x1161) * 28
            index += 2
            if index < len(decomposed) and 0x11A7 < decomposed[index] < 0x11C3:
                code += decomposed[index] - 0x11A7
                index += 1
            output.append(code)
            continue
        if code in firsts:
            last_class = 0
            other = index + 1
            while other < len(decomposed):
                if used[other]:
                    other += 1
                    continue
                candidate = decomposed[other]
                ccc = combining[candidate]
                if last_class and (ccc == 0 or last_class >= ccc):
                    if ccc == 0:
                        break
                    other += 1
                    continue
                composite = compositions.get((code, candidate))
                if composite is None:
                    if ccc == 0:
                        break
                    last_class = ccc
                    other += 1
                    continue
                code = composite
                used[other] = True
                other += 1
        output.append(code)
        index += 1
    return output


def check(decompositions, combining, compositions):
    def codes(text):
        return [ord(character) for character in text]

    firsts = {first for first, _ in compositions}
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        character = chr(code)
        assert nfd(character, decompositions, combining) == codes(unicodedata.normalize("NFD", character)), hex(code)
        assert nfc(character, decompositions, combining, compositions, firsts) == codes(
            unicodedata.normalize("NFC", character)), hex(code)

    # Random strings of the code points that take part in normalization, and some that do not.
    interesting = set(decompositions) | {code for code, ccc in combining.items() if ccc}
    for values in decompositions.values():
        interesting.update(values)
    interesting.update(range(0x1100, 0x1200))
    interesting.update(range(0xAC00, 0xAC00 + 28 * 3))
    interesting.update([0xD360, 0xC3BC, 0x41, 0x61, 0x20])
    pool = sorted(interesting)
    generator = random.Random(14)
    for _ in range(200_000):
        text = "".join(chr(generator.choice(pool)) for _ in range(generator.randint(1, 8)))
        assert nfd(text, decompositions, combining) == codes(unicodedata.normalize("NFD", text)), ascii(text)
        assert nfc(text, decompositions, combining, compositions, firsts) == codes(
            unicodedata.normalize("NFC", text)), ascii(text)


def swift_array(name, type_name, values, doc):
    lines = [f"    /// {line}".rstrip() for line in doc]
    lines.append(f"    static let {name}: [{type_name}] = [")
    line = ""
    for value in values:
        item = f"0x{value:X},"
        if line and len(line) + 1 + len(item) > 112:
            lines.append("        " + line)
            line = ""
        line = f"{line} {item}" if line else item
    if line:
        lines.append("        " + line)
    lines.append("    ]")
    return "\n".join(lines)


def main():
    if unicodedata.unidata_version != UNICODE_VERSION:
        sys.exit(f"unicodedata is Unicode {unicodedata.unidata_version}; the tables must be Unicode {UNICODE_VERSION}")
    decompositions, combining, compositions = build_tables()
    check(decompositions, combining, compositions)

    # Code points fit in 21 bits: three make one UInt64 (a << 42 | b << 21 | c), which sorts by a, then b.
    decomposition_entries = []
    for code in sorted(decompositions):
        values = decompositions[code]
        decomposition_entries.append(code << 42 | values[0] << 21 | (values[1] if len(values) == 2 else 0))

    # The combining class as a step function: from each start on (to the next start) the class is the same.
    class_entries = []
    previous = 0
    for code in range(0x110000):
        if combining[code] != previous:
            class_entries.append(code << 8 | combining[code])
            previous = combining[code]
    nonzero_classes = sum(1 for ccc in combining.values() if ccc)

    composition_entries = [first << 42 | second << 21 | compositions[first, second]
                           for first, second in sorted(compositions)]
    composing_starters = sorted({second for _, second in compositions if combining[second] == 0})

    python = ".".join(map(str, sys.version_info[:3]))
    parts = [
        "// Generated by tools/gen_unicode_tables.py; do not edit. To regenerate, from the repository root:",
        "//",
        "//     python3 tools/gen_unicode_tables.py > Sources/WordPiece/UnicodeTables.swift",
        "//",
        f"// Source: Python {python}'s unicodedata, Unicode {unicodedata.unidata_version} (the version transformers'",
        "// BertTokenizer saw when it wrote fixtures/tokenizer). The script checks the tables against",
        "// unicodedata.normalize before it writes them.",
        "",
        f"/// Unicode {unicodedata.unidata_version} data for canonical normalization (NFD and NFC), as Python's "
        "`unicodedata` has it.",
        "enum UnicodeTables {",
        swift_array("canonicalDecompositions", "UInt64", decomposition_entries, [
            f"The {len(decomposition_entries)} canonical decompositions (Hangul syllables aside), in ascending order",
            "of code point: `code point << 42 | first << 21 | second`, where first and second are the single-level",
            "mapping (`unicodedata.decomposition`), second 0 for a mapping of one code point.",
        ]),
        "",
        swift_array("combiningClasses", "UInt32", class_entries, [
            f"The canonical combining class as a step function ({nonzero_classes} code points have a non-zero one):",
            "`code point << 8 | class`, ascending; from each code point up to the next one here the class is the same,",
            "and below the first it is 0.",
        ]),
        "",
        swift_array("primaryComposites", "UInt64", composition_entries, [
            f"The {len(composition_entries)} primary composites, which canonical composition produces:",
            "`first << 42 | second << 21 | composite`, in ascending order of first then second code point, where first",
            "and second are the composite's canonical decomposition (composition exclusions and non-starter",
            "decompositions are left out).",
        ]),
        "",
        swift_array("composingStarters", "UInt32", composing_starters, [
            "The starters (combining class 0) that are the second of some pair in `primaryComposites`, ascending:",
            "with the combining marks, the only code points that compose with what precedes them (Hangul aside).",
        ]),
        "}",
        "",
    ]
    sys.stdout.write("\n".join(parts))


if __name__ == "__main__":
    main()
