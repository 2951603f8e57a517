#if canImport(Glibc)
import Glibc
#endif

/// A JSON value parsed strictly, keeping object key order, so that headers and configuration files
/// can be validated exactly (duplicate keys, integer exactness) and never interpreted as code.
///
/// Foundation's `JSONSerialization` silently keeps the last of duplicate keys and turns integers into
/// doubles; the safetensors rules need both detected, so this small parser is used for every file the
/// tool reads.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int64`.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order.
    case object([(String, JSONValue)])
    /// An array of numbers held compactly as float32, produced only by `JSONParser.Options.compactNumbers` (golden
    /// files, ids files) for arrays whose numbers are not all 32-bit integers; `arrayValue` gives `.number`s.
    case floats([Float])
    /// An array of integers that fit 32 bits, held compactly, produced only by `JSONParser.Options.compactNumbers`;
    /// `arrayValue` gives `.integer`s.
    case int32s([Int32])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.floats, _), (.int32s, _), (_, .floats), (_, .int32s):
            guard let a = lhs.arrayValue, let b = rhs.arrayValue else { return false }
            return a == b
        default: return false
        }
    }

    /// The member named `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case let .integer(i): return Int(exactly: i)
        case let .number(d): return d.rounded() == d && abs(d) < 9e15 ? Int(d) : nil
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        switch self {
        case let .array(a): return a
        case let .floats(values): return values.map { .number(Double($0)) }
        case let .int32s(values): return values.map { .integer(Int64($0)) }
        default: return nil
        }
    }

    /// The number of elements of an array, without materialising a compact one.
    public var arrayCount: Int? {
        switch self {
        case let .array(a): return a.count
        case let .floats(values): return values.count
        case let .int32s(values): return values.count
        default: return nil
        }
    }

    /// An array of numbers as float32 (compact arrays without copying element by element), or nil.
    public var floatArray: [Float]? {
        switch self {
        case let .floats(values): return values
        case let .int32s(values): return values.map(Float.init)
        case let .array(a):
            var values: [Float] = []
            values.reserveCapacity(a.count)
            for element in a {
                guard let number = element.doubleValue else { return nil }
                values.append(Float(number))
            }
            return values
        default: return nil
        }
    }

    /// An array of integers that fit 32 bits, or nil.
    public var int32Array: [Int32]? {
        switch self {
        case let .int32s(values): return values
        case let .array(a):
            var values: [Int32] = []
            values.reserveCapacity(a.count)
            for element in a {
                guard case let .integer(i) = element, let narrow = Int32(exactly: i) else { return nil }
                values.append(narrow)
            }
            return values
        default: return nil
        }
    }

    public var objectValue: [(String, JSONValue)]? {
        if case let .object(o) = self { return o }
        return nil
    }
}

/// Why a JSON text was rejected; `offset` is the byte position of the problem.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case invalidUTF8
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case duplicateKey(String)
        case tooDeep
        case trailingCharacters
        case invalidNumber
        case invalidEscape
        case tooManyValues(Int)
    }
    public var reason: Reason
    public var offset: Int

    public var description: String {
        switch reason {
        case .invalidUTF8: return "the text is not valid UTF-8"
        case .unexpectedEnd: return "the JSON ends early (byte \(offset))"
        case let .unexpectedCharacter(c): return "unexpected character 0x\(String(c, radix: 16)) at byte \(offset)"
        case let .duplicateKey(k): return "duplicate key '\(k)' at byte \(offset)"
        case .tooDeep: return "nesting deeper than \(JSONParser.maximumDepth) levels at byte \(offset)"
        case .trailingCharacters: return "characters after the JSON value at byte \(offset)"
        case .invalidNumber: return "invalid number at byte \(offset)"
        case .invalidEscape: return "invalid string escape at byte \(offset)"
        case let .tooManyValues(limit): return "more than \(limit) values, more than bertinspect holds in memory for a file of this size"
        }
    }
}

/// A strict RFC 8259 parser over bytes: no comments, no trailing commas, duplicate keys rejected,
/// nesting capped so hostile input cannot exhaust the stack.
public struct JSONParser {
    /// Deepest nesting accepted.
    public static let maximumDepth = 128

    /// How a parse may represent values and how much it may hold.
    public struct Options: Sendable {
        /// Arrays of numbers become `.int32s` / `.floats` (4 bytes a value instead of a boxed value each).
        public var compactNumbers: Bool
        /// Most values (numbers, strings, literals, arrays, objects) parsed before giving up with `tooManyValues`.
        public var maximumValues: Int

        public init(compactNumbers: Bool = false, maximumValues: Int = .max) {
            self.compactNumbers = compactNumbers
            self.maximumValues = maximumValues
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let options: Options
    private var values = 0

    /// Parses one JSON value from bytes in place (a mapped file: nothing is copied); trailing whitespace is allowed
    /// (the safetensors header pads with spaces).
    public static func parse(_ bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(JSONParseError) -> JSONValue {
        let buffer = bytes.bindMemory(to: UInt8.self)
        var parser = JSONParser(bytes: buffer, options: options)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != buffer.count { throw JSONParseError(reason: .trailingCharacters, offset: parser.index) }
        return value
    }

    /// Parses one JSON value; trailing whitespace is allowed.
    public static func parse(_ data: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let array = Array(data)
        let result: Result<JSONValue, JSONParseError> = array.withUnsafeBytes { buffer in
            do throws(JSONParseError) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses a JSON text given as a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, options: Options) {
        self.bytes = bytes
        self.options = options
    }

    private mutating func count() throws(JSONParseError) {
        values += 1
        if values > options.maximumValues { throw fail(.tooManyValues(options.maximumValues)) }
    }


    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func fail(_ reason: JSONParseError.Reason) -> JSONParseError { JSONParseError(reason: reason, offset: index) }

    private mutating func peek() throws(JSONParseError) -> UInt8 {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        return bytes[index]
    }

    private mutating func expect(_ literal: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        for byte in literal.utf8 {
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == byte else { throw fail(.unexpectedCharacter(bytes[index])) }
            index += 1
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw fail(.tooDeep) }
        try count()
        let c = try peek()
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail(.unexpectedCharacter(c))
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        // Small objects (most of them: a safetensors entry has three members) are checked for duplicate keys by a
        // linear scan; a set is built only once an object grows past a handful of members.
        var seen = Set<String>()
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            let keyStart = index
            guard try peek() == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter(bytes[index])) }
            let key = try parseString()
            let duplicate: Bool
            if members.count < 8 {
                duplicate = members.contains { $0.0 == key }
            } else {
                if seen.isEmpty { seen = Set(members.map(\.0)) }
                duplicate = !seen.insert(key).inserted
            }
            guard !duplicate else { throw JSONParseError(reason: .duplicateKey(key), offset: keyStart) }
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter(bytes[index])) }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            let c = try peek()
            index += 1
            if c == UInt8(ascii: "}") { return .object(members) }
            guard c == UInt8(ascii: ",") else { index -= 1; throw fail(.unexpectedCharacter(c)) }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") { index += 1; return .array(elements) }
        if options.compactNumbers {
            var finished = false
            if let compact = try parseNumberArray(depth: depth, fallback: &elements, finished: &finished) { return compact }
            if finished { return .array(elements) }
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            let c = try peek()
            index += 1
            if c == UInt8(ascii: "]") { return .array(elements) }
            guard c == UInt8(ascii: ",") else { index -= 1; throw fail(.unexpectedCharacter(c)) }
        }
    }

    /// An array whose elements are all numbers, held as `.int32s` (every number a 32-bit integer) or `.floats`
    /// (at least one number with a fraction or exponent). Returns nil after moving what it parsed into `fallback`
    /// when another kind of element comes, or an integer that 32 bits cannot hold exactly: the generic loop then goes
    /// on from the next element (`fallback` may already be complete: `finished`).
    private mutating func parseNumberArray(depth: Int, fallback: inout [JSONValue], finished: inout Bool) throws(JSONParseError) -> JSONValue? {
        var integers: [Int32] = []
        var floats: [Float] = []
        var isInteger = true
        func materialize() -> [JSONValue] { isInteger ? integers.map { .integer(Int64($0)) } : floats.map { .number(Double($0)) } }
        while true {
            skipWhitespace()
            let c = try peek()
            guard c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else {
                fallback = materialize()
                return nil
            }
            guard depth + 1 < Self.maximumDepth else { throw fail(.tooDeep) }
            try count()
            let value = try parseNumber()
            if case let .integer(i) = value {
                if isInteger, let narrow = Int32(exactly: i) {
                    integers.append(narrow)
                } else if isInteger {
                    // Exactness first: an integer beyond 32 bits keeps the array generic.
                    fallback = materialize() + [value]
                    skipWhitespace()
                    let next = try peek()
                    index += 1
                    if next == UInt8(ascii: "]") { finished = true; return nil }
                    guard next == UInt8(ascii: ",") else { index -= 1; throw fail(.unexpectedCharacter(next)) }
                    return nil
                } else {
                    floats.append(Float(i))
                }
            } else {
                if isInteger {
                    isInteger = false
                    floats = integers.map(Float.init)
                    integers = []
                }
                floats.append(Float(value.doubleValue ?? .nan))
            }
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { return isInteger ? .int32s(integers) : .floats(floats) }
            guard next == UInt8(ascii: ",") else { index -= 1; throw fail(.unexpectedCharacter(next)) }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = try peek()
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape)
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        // Most strings (names, dtypes) hold no escape: made straight from the bytes, without a copy per byte.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self) else {
                index = end
                throw fail(.invalidUTF8)
            }
            index = end + 1
            return text
        }
        var out: [UInt8] = []
        while true {
            let c = try peek()
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail(.invalidUTF8) }
                return s
            case UInt8(ascii: "\\"):
                let e = try peek()
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail(.invalidEscape)
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail(.invalidEscape) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail(.invalidEscape) }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail(.invalidEscape)
                }
            case 0x00..<0x20:
                index -= 1
                throw fail(.unexpectedCharacter(c))
            default:
                out.append(c)
            }
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
            return p.index - s
        }
        let intDigits = digits(&self)
        guard intDigits > 0 else { throw fail(.invalidNumber) }
        if intDigits > 1, bytes[index - intDigits] == UInt8(ascii: "0") { throw fail(.invalidNumber) }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digits(&self) > 0 else { throw fail(.invalidNumber) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fail(.invalidNumber) }
        }
        let length = index - start
        if isInteger, length <= 18 {
            // At most 18 digits (and a sign) always fit Int64: no text, no allocation.
            var value: Int64 = 0
            var position = start
            let negative = bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            while position < index {
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            return .integer(negative ? -value : value)
        }
        // strtod on a NUL-terminated copy: correctly rounded, like Swift's Double(String), without building a String.
        let parsed: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
            for offset in 0..<length { text[offset] = CChar(bitPattern: bytes[start + offset]) }
            text[length] = 0
            return strtod(text.baseAddress!, nil)
        }
        if isInteger, let integer = Int64(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) {
            return .integer(integer)
        }
        return .number(parsed)
    }
}

extension JSONValue {
    /// Serialises the value as compact JSON (object members in stored order).
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .floats, .int32s: JSONValue.array(arrayValue ?? []).write(to: &out)
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .integer(i): out += String(i)
        case let .number(d):
            // Swift's shortest round-tripping form keeps a fraction or exponent ("400.0", "1e-12"), so the value
            // reads back as a number, not an integer.
            if d.isFinite { out += "\(d)" } else { out += "null" }
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, to: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
