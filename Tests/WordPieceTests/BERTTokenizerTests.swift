import Testing
import TensorFormats
@testable import WordPiece

/// Behaviour beyond fixtures/tokenizer/cases.json; every expectation was checked against transformers 4.57.6's slow
/// `BertTokenizer` on the fixture vocabulary.
@Suite("BERT tokenizer edge cases")
struct BERTTokenizerTests {
    static let vocabulary = Result { try Vocabulary(contentsOfFile: ReferenceCases.vocabularyPath) }

    func tokenizer(lowerCase: Bool) throws -> BERTTokenizer {
        BERTTokenizer(vocabulary: try Self.vocabulary.get(), lowerCase: lowerCase)
    }

    @Test("a word of 101 characters becomes [UNK]; one of 100 is split", arguments: [true, false])
    func longWords(lowerCase: Bool) throws {
        let tokenizer = try tokenizer(lowerCase: lowerCase)
        #expect(tokenizer.tokenize(String(repeating: "a", count: 101)) == ["[UNK]"])
        #expect(tokenizer.tokenize(String(repeating: "a", count: 100)) == ["a"] + Array(repeating: "##a", count: 99))
        // Length is counted in code points, as Python's len: 101 "é" (NFC) in a cased tokenizer.
        #expect(tokenizer.tokenize("x " + String(repeating: "\u{E9}", count: 101)).last == "[UNK]")
    }

    @Test("a word with an unmatched piece becomes one [UNK], not a partial match")
    func unmatchedPiece() throws {
        #expect(try tokenizer(lowerCase: true).tokenize("a\u{2603} b") == ["[UNK]", "b"])
    }

    @Test("literal special tokens are cut out even inside a word; [cls] is not special")
    func literalSpecials() throws {
        for lowerCase in [true, false] {
            #expect(try tokenizer(lowerCase: lowerCase).tokenize("ab[CLS]cd") == ["a", "##b", "[CLS]", "c", "##d"])
        }
        // Cased, a special token that only appears once a zero-width space is removed stays whole (never_split).
        #expect(try tokenizer(lowerCase: false).tokenize("[CL\u{200B}S]") == ["[CLS]"])
        #expect(try tokenizer(lowerCase: true).tokenize("[CL\u{200B}S]") == ["[", "c", "##l", "##s", "]"])
    }

    @Test("a word-final capital sigma becomes σ, not ς: transformers lower-cases one character at a time")
    func finalSigma() throws {
        let tokens = try tokenizer(lowerCase: true).tokenize("ΟΔΟΣ ΑΣ.")
        #expect(codePoints(tokens) == codePoints(["ο", "##δ", "##ο", "##σ", "α", "##σ", "."]))
    }

    @Test("U+2028 and U+2029 split words (Python's str.split) although _is_whitespace ignores them")
    func pythonWhitespace() throws {
        #expect(try tokenizer(lowerCase: true).tokenize("x\u{2028}y\u{2029}z") == ["x", "y", "z"])
    }

    @Test("code points assigned after Unicode 14.0 are dropped and never lower-cased, as in Python 3.11")
    func newerCodePoints() throws {
        for lowerCase in [true, false] {
            let tokenizer = try tokenizer(lowerCase: lowerCase)
            #expect(tokenizer.tokenize("a\u{1C89}b") == ["a", "##b"])  // CYRILLIC CAPITAL LETTER TJE, Unicode 16.0
            #expect(tokenizer.tokenize("\u{A7CB}") == [])  // lower-cases to U+0264 in Unicode 16.0
        }
    }

    @Test("U+1171E, a nonspacing mark in Unicode 14.0, is stripped as an accent")
    func restoredCategory() throws {
        #expect(try tokenizer(lowerCase: true).tokenize("a\u{1171E}") == ["a"])
        #expect(try tokenizer(lowerCase: false).tokenize("a\u{1171E}") == ["[UNK]"])
    }

    /// transformers' own outputs for calls with truncation and padding options (cases.json `encodings`): a single
    /// text that cannot lose enough tokens is left whole, max_length 0 truncates and pads nothing, padding fills with
    /// [PAD], token type 0 and mask 0.
    static let encodings: [JSONValue] = (try? ReferenceCases.document())?["encodings"]?.arrayValue ?? []

    @Test("truncation and padding options give what transformers' tokenizer call gives", arguments: encodings)
    func encodingOptions(reference: JSONValue) throws {
        let tokenizer = try tokenizer(lowerCase: true)
        let text = try #require(reference["text"]?.stringValue)
        let maxLength = try #require(reference["max_length"]?.intValue)
        let encoding = tokenizer.encode(text, pair: reference["pair"]?.stringValue, maxLength: maxLength,
                                        padToMaxLength: reference["padding"] == .string("max_length"))
        #expect(encoding.tokens == reference["tokens"]?.arrayValue?.compactMap(\.stringValue))
        #expect(encoding.inputIDs.map(Int.init) == reference["input_ids"]?.arrayValue?.compactMap(\.intValue))
        #expect(encoding.tokenTypeIDs.map(Int.init) == reference["token_type_ids"]?.arrayValue?.compactMap(\.intValue))
        #expect(encoding.attentionMask.map(Int.init) == reference["attention_mask"]?.arrayValue?.compactMap(\.intValue))
    }

    @Test("the encoding references are there")
    func encodingReferences() {
        #expect(Self.encodings.count >= 5)
    }

    @Test("a long text is tokenized only as far as truncation keeps, with the same ids as the whole text truncated",
          arguments: [true, false])
    func earlyStop(lowerCase: Bool) throws {
        let tokenizer = try tokenizer(lowerCase: lowerCase)
        // 2 MB of review text: the whole tokenization is the reference (cases.json checks it against transformers).
        let sentence = "I thought this was a wonderful way to spend time, don't be so judgmental! "
        let text = String(repeating: sentence, count: 30_000)
        let whole = tokenizer.tokenize(text)
        for maxLength in [3, 16, 128, 512] {
            let encoding = tokenizer.encode(text, maxLength: maxLength)
            let single: [String] = ["[CLS]"] + Array(whole.prefix(maxLength - 2)) + ["[SEP]"]
            #expect(encoding.tokens == single)
            #expect(encoding.truncated)
            let pair = tokenizer.encode(text, pair: sentence, maxLength: maxLength)
            let second = tokenizer.tokenize(sentence)
            let plan = Truncation(excess: whole.count + second.count + 3 - maxLength, firstCount: whole.count, secondCount: second.count)
            var expected: [String] = ["[CLS]"]
            expected += Array(whole.dropLast(plan.first))
            expected += ["[SEP]"]
            expected += Array(second.dropLast(plan.second))
            expected += ["[SEP]"]
            #expect(pair.tokens == expected)
        }
        #expect(!tokenizer.encode(sentence, maxLength: 512).truncated)
    }
}
