import Foundation
import Testing
@testable import WordPiece

@Suite("Vocabulary loading")
struct VocabularyTests {
    static let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    @Test("splits lines as Python's text mode does: \\n, \\r\\n and a lone \\r end a line, nothing else is stripped")
    func universalNewlines() throws {
        let bytes = Array("a\r\nb\rc\n\n d \t\ne\u{2028}f\u{0B}g\nlast".utf8)
        #expect(try Vocabulary.lines(of: bytes, path: "v.txt") == ["a", "b", "c", "", " d \t", "e\u{2028}f\u{0B}g", "last"])
        #expect(try Vocabulary.lines(of: Array("x\n".utf8), path: "v.txt") == ["x"])
    }

    @Test("ids are line numbers and lookups compare code points, not canonical equivalence")
    func codePointLookup() throws {
        let file = try TemporaryFile(lines: Self.specials + ["caf\u{E9}", "cafe\u{301}"])
        let vocabulary = try Vocabulary(contentsOfFile: file.path)
        #expect(vocabulary.count == 7)
        #expect(vocabulary.id(for: "caf\u{E9}") == 5)
        #expect(vocabulary.id(for: "cafe\u{301}") == 6)
        #expect(vocabulary.token(for: 6)?.unicodeScalars.map(\.value) == Array("cafe\u{301}".unicodeScalars.map(\.value)))
        #expect(vocabulary.id(for: .mask) == 4)
        #expect(vocabulary.paddingID == 0 && vocabulary.unknownID == 1 && vocabulary.classifierID == 2)
        #expect(vocabulary.separatorID == 3 && vocabulary.maskID == 4)
        #expect(vocabulary.token(for: 7) == nil)
        #expect(vocabulary.token(for: -1) == nil)
    }

    @Test("a repeated token takes its last line's id, and the earlier id maps back to nothing, as in transformers")
    func duplicates() throws {
        let vocabulary = try Vocabulary(tokens: Self.specials + ["x", "y", "x"], source: "memory")
        #expect(vocabulary.id(for: "x") == 7)
        #expect(vocabulary.token(for: 5) == nil)
        #expect(vocabulary.token(for: 7) == "x")
        #expect(vocabulary.count == 8)
    }

    @Test("[MASK] is optional")
    func maskOptional() throws {
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"], source: "memory")
        #expect(vocabulary.maskID == nil)
        #expect(vocabulary.id(for: .mask) == nil)
    }

    @Test("an empty file is refused")
    func empty() throws {
        let file = try TemporaryFile(bytes: [])
        #expect(throws: WordPieceError.emptyVocabulary(path: file.path)) { try Vocabulary(contentsOfFile: file.path) }
    }

    @Test("each required special token is checked", arguments: ["[UNK]", "[CLS]", "[SEP]", "[PAD]"])
    func missingSpecial(token: String) throws {
        let file = try TemporaryFile(lines: Self.specials.filter { $0 != token } + ["[unk]", "hello"])
        #expect(throws: WordPieceError.missingSpecialToken(path: file.path, token: token)) {
            try Vocabulary(contentsOfFile: file.path)
        }
    }

    @Test("invalid UTF-8 is refused with its line and byte offset")
    func invalidUTF8() throws {
        // Line 3 starts at byte 12; "ab" then an overlong encoding of "/".
        let file = try TemporaryFile(bytes: Array("[PAD]\n[UNK]\nab".utf8) + [0xC0, 0xAF] + Array("\n[CLS]\n".utf8))
        #expect(throws: WordPieceError.invalidUTF8(path: file.path, line: 3, byteOffset: 14)) {
            try Vocabulary(contentsOfFile: file.path)
        }
        let surrogate = try TemporaryFile(bytes: [0xED, 0xA0, 0x80, 0x0A])
        #expect(throws: WordPieceError.invalidUTF8(path: surrogate.path, line: 1, byteOffset: 0)) {
            try Vocabulary(contentsOfFile: surrogate.path)
        }
    }

    @Test("a file over the size limit is refused before it is read")
    func tooLarge() throws {
        let file = try TemporaryFile(bytes: [])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file.path))
        try handle.truncate(atOffset: UInt64(Vocabulary.maximumFileSize + 1))  // sparse: no disk space used
        try handle.close()
        #expect(throws: WordPieceError.fileTooLarge(path: file.path, size: Vocabulary.maximumFileSize + 1,
                                                     limit: Vocabulary.maximumFileSize)) {
            try Vocabulary(contentsOfFile: file.path)
        }
    }

    @Test("a missing file and a directory are refused with the system's reason")
    func unreadable() throws {
        let file = try TemporaryFile(bytes: [])
        let missing = file.directory.appendingPathComponent("absent.txt").path
        #expect(throws: WordPieceError.cannotRead(path: missing, reason: "No such file or directory")) {
            try Vocabulary(contentsOfFile: missing)
        }
        let directory = file.directory.path
        #expect(throws: WordPieceError.cannotRead(path: directory, reason: "it is not a regular file")) {
            try Vocabulary(contentsOfFile: directory)
        }
    }

    @Test("error descriptions are sentences that name the file")
    func descriptions() {
        let errors: [WordPieceError] = [
            .cannotRead(path: "v.txt", reason: "No such file or directory"),
            .fileTooLarge(path: "v.txt", size: 70_000_000, limit: Vocabulary.maximumFileSize),
            .invalidUTF8(path: "v.txt", line: 3, byteOffset: 14),
            .emptyVocabulary(path: "v.txt"),
            .missingSpecialToken(path: "v.txt", token: "[UNK]"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("v.txt: "))
            #expect(error.description.hasSuffix("."))
        }
        #expect(WordPieceError.missingSpecialToken(path: "v.txt", token: "[UNK]").description
            == "v.txt: the vocabulary has no '[UNK]' line, which a BERT tokenizer needs (with [UNK], [CLS], [SEP] and [PAD]).")
    }
}
