/// A direct scan of the common safetensors header: one JSON object of `name → {dtype, shape, data_offsets}` entries
/// and an optional string-only `__metadata__`, with no escapes, floats or signs. It builds no JSON tree, which makes
/// opening a file of a few hundred tensors several times cheaper. Anything else (an escape, an unknown field, a
/// repeated key, a number it does not take) makes it give up and return nil: the general parser then reads the
/// header and reports the exact problem, so both paths accept and refuse the same headers.
struct SafetensorsHeaderScan {
    /// One tensor of the header and its byte range in the data buffer. (A struct rather than a tuple: an array of
    /// tuples needs its type built at run time, which costs more than reading a small header.)
    struct Entry {
        var tensor: StoredTensor
        var begin: Int
        var end: Int
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var values = 0
    private let maximumValues: Int

    private init(_ bytes: UnsafeRawBufferPointer, maximumValues: Int) {
        self.bytes = bytes
        self.maximumValues = maximumValues
    }

    /// The entries in header order and the metadata, or nil when the header is not of the common form.
    static func scan(_ bytes: UnsafeRawBufferPointer, maximumEntries: Int, maximumValues: Int) -> (entries: [Entry], metadata: [String: String])? {
        var scanner = SafetensorsHeaderScan(bytes, maximumValues: maximumValues)
        return scanner.header(maximumEntries: maximumEntries)
    }

    private mutating func header(maximumEntries: Int) -> (entries: [Entry], metadata: [String: String])? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var entries: [Entry] = []
        var metadata: [String: String]?
        skipWhitespace()
        if peek() != UInt8(ascii: "}") {
            while true {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                if key == "__metadata__" {
                    guard metadata == nil, let pairs = stringObject() else { return nil }
                    metadata = pairs
                } else {
                    guard entries.count < maximumEntries, let entry = entry(named: key) else { return nil }
                    entries.append(entry)
                }
                if consume(UInt8(ascii: ",")) { continue }
                break
            }
        }
        guard consume(UInt8(ascii: "}")) else { return nil }
        skipWhitespace()
        guard index == bytes.count else { return nil }
        return (entries, metadata ?? [:])
    }

    private mutating func entry(named name: String) -> Entry? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var dtype: DType?
        var shape: [Int]?
        var offsets: [Int]?
        repeat {
            guard let field = string(), consume(UInt8(ascii: ":")) else { return nil }
            switch field {
            case "dtype":
                guard dtype == nil, let text = string(), let value = DType(rawValue: text) else { return nil }
                dtype = value
            case "shape":
                guard shape == nil, let value = integers() else { return nil }
                shape = value
            case "data_offsets":
                guard offsets == nil, let value = integers(), value.count == 2 else { return nil }
                offsets = value
            default:
                return nil
            }
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")), let dtype, let shape, let offsets, offsets[1] >= offsets[0] else { return nil }
        return Entry(tensor: StoredTensor(name: name, dtype: dtype, shape: shape), begin: offsets[0], end: offsets[1])
    }

    private mutating func stringObject() -> [String: String]? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var pairs: [String: String] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return pairs
        }
        repeat {
            guard let key = string(), consume(UInt8(ascii: ":")), let value = string(),
                  pairs.updateValue(value, forKey: key) == nil else { return nil }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}")) ? pairs : nil
    }

    /// A JSON array of non-negative integers without signs, fractions, exponents or leading zeros.
    private mutating func integers() -> [Int]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var result: [Int] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return count() ? result : nil
        }
        repeat {
            skipWhitespace()
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                // At most 15 digits, counted before adding one (a longer number would overflow `value`): the general
                // parser decides about longer ones.
                guard index - start < 15 else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let digits = index - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")), count() else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                return nil
            }
            result.append(value)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) && count() ? result : nil
    }

    /// A JSON string without escapes or control characters (the header was checked to be UTF-8 already).
    private mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")), count() else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// Counts one value against the same bound the general parser applies.
    private mutating func count() -> Bool {
        values += 1
        return values <= maximumValues
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// Skips whitespace, then takes `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
