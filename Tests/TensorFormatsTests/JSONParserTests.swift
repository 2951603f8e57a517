import Testing
@testable import TensorFormats

@Suite("Strict JSON parser")
struct JSONParserTests {
    @Test("keeps member order and integer exactness")
    func orderAndIntegers() throws {
        let value = try JSONParser.parse(#"{"b": 9007199254740993, "a": [1.5, true, null, "x\u00e9"]}"#)
        #expect(value.objectValue?.map(\.0) == ["b", "a"])
        #expect(value["b"] == .integer(9_007_199_254_740_993))
        #expect(value["a"]?.arrayValue == [.number(1.5), .bool(true), .null, .string("xé")])
    }

    @Test("rejects what RFC 8259 and the safetensors rules reject", arguments: [
        (#"{"a": 1, "a": 2}"#, JSONParseError.Reason.duplicateKey("a")),
        (#"{"a": 1,}"#, .unexpectedCharacter(UInt8(ascii: "}"))),
        (#"[1, 2"#, .unexpectedEnd),
        (#"{"a": 01}"#, .invalidNumber),
        (#"{} x"#, .trailingCharacters),
        (#"{"a": "\q"}"#, .invalidEscape),
    ])
    func rejects(text: String, reason: JSONParseError.Reason) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        do { _ = try JSONParser.parse(text) } catch { #expect(error.reason == reason) }
    }

    @Test("caps nesting depth")
    func depth() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("deep nesting was accepted")
        } catch {
            #expect(error.reason == .tooDeep)
        }
    }

    @Test("round-trips through serialized()")
    func roundTrip() throws {
        let text = #"{"format":"pt","list":[1,-2,3.25],"nested":{"s":"a\"b\n"}}"#
        #expect(try JSONParser.parse(text).serialized() == text)
    }
}
