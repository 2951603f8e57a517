import TensorFormats
import Testing
import FixtureSupport
import WordPiece

/// One `tokenize`/`encode` result that transformers' slow `BertTokenizer` wrote to fixtures/tokenizer/cases.json.
struct TokenizeCase: Sendable, CustomTestStringConvertible {
    var text: String
    var lowerCase: Bool
    var tokens: [String]
    var inputIDs: [Int32]

    var testDescription: String { "\(Self.label(text)) (\(lowerCase ? "uncased" : "cased"))" }

    static func label(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
        return escaped.count > 40 ? "\"\(escaped.prefix(40))…\"" : "\"\(escaped)\""
    }
}

/// One pair encoding (`max_length`, `longest_first` truncation, `padding="max_length"`) from cases.json.
struct PairCase: Sendable, CustomTestStringConvertible {
    var text: String
    var pair: String
    var lowerCase: Bool
    var maxLength: Int
    var inputIDs: [Int32]
    var tokenTypeIDs: [Int32]
    var attentionMask: [Int32]

    var testDescription: String {
        "\(TokenizeCase.label(text)) + \(TokenizeCase.label(pair)) to \(maxLength) (\(lowerCase ? "uncased" : "cased"))"
    }
}

/// The reference file and the tokenizers it was written with.
enum ReferenceCases {
    static let vocabularyPath = Fixtures.path("tokenizer/vocab.txt")

    static func document() throws -> JSONValue {
        try MappedFile.withContents(of: Fixtures.path("tokenizer/cases.json")) { try JSONParser.parse($0) }
    }

    static func tokenizeCases() throws -> [TokenizeCase] {
        try #require(document()["cases"]?.arrayValue).map { value in
            TokenizeCase(
                text: try #require(value["text"]?.stringValue),
                lowerCase: try #require(value["lower_case"]?.boolValue as Bool?),
                tokens: try #require(value["tokens"]?.arrayValue).map { try #require($0.stringValue) },
                inputIDs: try int32s(value["input_ids"]))
        }
    }

    static func pairCases() throws -> [PairCase] {
        try #require(document()["pairs"]?.arrayValue).map { value in
            PairCase(
                text: try #require(value["text"]?.stringValue),
                pair: try #require(value["pair"]?.stringValue),
                lowerCase: try #require(value["lower_case"]?.boolValue as Bool?),
                maxLength: try #require(value["max_length"]?.intValue),
                inputIDs: try int32s(value["input_ids"]),
                tokenTypeIDs: try int32s(value["token_type_ids"]),
                attentionMask: try int32s(value["attention_mask"]))
        }
    }

    static func tokenizer(lowerCase: Bool) throws -> BERTTokenizer {
        BERTTokenizer(vocabulary: try Vocabulary(contentsOfFile: vocabularyPath), lowerCase: lowerCase)
    }

    private static func int32s(_ value: JSONValue?) throws -> [Int32] {
        try #require(value?.arrayValue).map { Int32(try #require($0.intValue)) }
    }
}

/// Code points, so that comparisons are exact rather than Swift's canonical equivalence.
func codePoints(_ strings: [String]) -> [[UInt32]] {
    strings.map { $0.unicodeScalars.map(\.value) }
}

@Suite("transformers' slow BertTokenizer, case by case")
struct ReferenceCaseTests {
    @Test("the fixture holds every case tools/tokenizer_cases.py writes")
    func caseCounts() throws {
        #expect(try ReferenceCases.tokenizeCases().count == 98)
        #expect(try ReferenceCases.pairCases().count == 16)
    }

    @Test("special token ids match the fixture")
    func specialIDs() throws {
        let vocabulary = try Vocabulary(contentsOfFile: ReferenceCases.vocabularyPath)
        let expected = try #require(ReferenceCases.document()["special_ids"])
        for special in SpecialToken.allCases {
            #expect(vocabulary.id(for: special) == expected[special.rawValue]?.intValue, "\(special.rawValue)")
        }
        #expect(vocabulary.count == 2000)
    }

    @Test("tokenize and encode", arguments: try ReferenceCases.tokenizeCases())
    func tokenize(_ reference: TokenizeCase) throws {
        let tokenizer = try ReferenceCases.tokenizer(lowerCase: reference.lowerCase)
        #expect(codePoints(tokenizer.tokenize(reference.text)) == codePoints(reference.tokens))
        let encoding = tokenizer.encode(reference.text)
        #expect(encoding.inputIDs == reference.inputIDs)
        #expect(codePoints(encoding.tokens) == codePoints(["[CLS]"] + reference.tokens + ["[SEP]"]))
        #expect(encoding.tokenTypeIDs == Array(repeating: 0, count: reference.inputIDs.count))
        #expect(encoding.attentionMask == Array(repeating: 1, count: reference.inputIDs.count))
    }

    @Test("encode pairs with truncation and padding", arguments: try ReferenceCases.pairCases())
    func encodePair(_ reference: PairCase) throws {
        let tokenizer = try ReferenceCases.tokenizer(lowerCase: reference.lowerCase)
        let encoding = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength,
                                        padToMaxLength: true)
        #expect(encoding.inputIDs == reference.inputIDs)
        #expect(encoding.tokenTypeIDs == reference.tokenTypeIDs)
        #expect(encoding.attentionMask == reference.attentionMask)
        #expect(encoding.tokens.count == reference.inputIDs.count)
    }
}
