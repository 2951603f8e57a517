import Testing
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

    @Test("a single text that cannot lose enough tokens is left whole, as transformers does")
    func untruncatableSingle() throws {
        let tokenizer = try tokenizer(lowerCase: true)
        #expect(tokenizer.encode("one two three four", maxLength: 4, padToMaxLength: true).inputIDs == [101, 1793, 1813, 102])
        #expect(tokenizer.encode("one two", maxLength: 2).inputIDs == [101, 1793, 1813, 102])
    }

    @Test("maxLength 0 truncates nothing and pads nothing")
    func zeroMaxLength() throws {
        let encoding = try tokenizer(lowerCase: true).encode("one two three", pair: "four", maxLength: 0, padToMaxLength: true)
        #expect(encoding.inputIDs == [101, 1793, 1813, 1853, 102, 1931, 102])
        #expect(encoding.tokenTypeIDs == [0, 0, 0, 0, 0, 1, 1])
    }

    @Test("padding fills with [PAD], token type 0 and mask 0; without padToMaxLength nothing is added")
    func padding() throws {
        let tokenizer = try tokenizer(lowerCase: true)
        let padded = tokenizer.encode("the movie", maxLength: 6, padToMaxLength: true)
        #expect(padded.tokens == ["[CLS]", "the", "movie", "[SEP]", "[PAD]", "[PAD]"])
        #expect(padded.inputIDs == [101, 1762, 1964, 102, 0, 0])
        #expect(padded.tokenTypeIDs == [0, 0, 0, 0, 0, 0])
        #expect(padded.attentionMask == [1, 1, 1, 1, 0, 0])
        #expect(tokenizer.encode("the movie", maxLength: 6).inputIDs == [101, 1762, 1964, 102])
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
