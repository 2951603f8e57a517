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
        // Past the linear-scan size: the repeated key is the first, the eighth and the tenth member.
        (#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k0":9}"#, .duplicateKey("k0")),
        (#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k7":8}"#, .duplicateKey("k7")),
        (#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k9":10}"#, .duplicateKey("k9")),
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

    @Test("compact numbers: arrays of 32-bit integers and of floats are held as such, and read back the same")
    func compactNumbers() throws {
        let text = #"{"ids": [101, 2023, -7, 102], "x": [0.5, 1e400, -2, 3], "mixed": [1, "a"], "big": [4294967296]}"#
        let value = try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0, options: JSONParser.Options(compactNumbers: true)) }
        #expect(value["ids"] == .int32s([101, 2023, -7, 102]))
        #expect(value["x"] == .floats([0.5, .infinity, -2, 3]))
        #expect(value["mixed"] == .array([.integer(1), .string("a")]))
        #expect(value["big"] == .array([.integer(4_294_967_296)]))
        #expect(value["ids"]?.arrayValue == [.integer(101), .integer(2023), .integer(-7), .integer(102)])
        #expect(try JSONParser.parse(text)["ids"] == value["ids"])
    }

    @Test("a value budget stops the parse with tooManyValues before the values are held")
    func valueBudget() {
        let text = "[" + (0..<1000).map(String.init).joined(separator: ",") + "]"
        for compact in [false, true] {
            let bytes = Array(text.utf8)
            let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { buffer in
                do throws(JSONParseError) {
                    return .success(try JSONParser.parse(buffer, options: JSONParser.Options(compactNumbers: compact, maximumValues: 100)))
                } catch { return .failure(error) }
            }
            switch result {
            case .success: Issue.record("1,001 values passed a budget of 100")
            case let .failure(error): #expect(error.reason == .tooManyValues(100))
            }
        }
    }
}
