/// Protocol Buffers wire format: the subset ONNX files use (varints, length-delimited fields, 32-bit floats).
/// Field numbers and types are the caller's; this file knows no schema.
public enum Protobuf {
    /// The wire type in the low three bits of a field's tag.
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// Bytes a varint of `value` takes.
    public static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// Bytes a tag and length prefix take for a length-delimited field of `length` bytes.
    public static func prefixSize(field: Int, length: Int) -> Int {
        varintSize(UInt64(field << 3)) + varintSize(UInt64(length))
    }
}

/// Builds one message in memory, field by field. Nested messages are built first and added whole; a large
/// payload (a tensor's bytes) can instead be announced with `lengthPrefix` and streamed by the caller.
public struct ProtobufMessage: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public var count: Int { bytes.count }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func tag(_ field: Int, _ wire: Protobuf.WireType) {
        appendVarint(UInt64(field << 3) | UInt64(wire.rawValue))
    }

    /// An integer field (int32, int64, enum, bool); negative values take ten bytes, as protobuf writes them.
    public mutating func integer(_ field: Int, _ value: Int) {
        tag(field, .varint)
        appendVarint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field.
    public mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    public mutating func data(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func message(_ field: Int, _ value: ProtobufMessage) {
        data(field, value.bytes)
    }

    /// Bytes that follow a `lengthPrefix` (a payload the caller has in memory).
    public mutating func append(_ payload: [UInt8]) {
        bytes.append(contentsOf: payload)
    }

    /// A length-delimited field whose `length` bytes the caller writes right after these bytes.
    public mutating func lengthPrefix(_ field: Int, length: Int) {
        tag(field, .lengthDelimited)
        appendVarint(UInt64(length))
    }
}

/// Reads protobuf wire format: varints and fields, within bounds, never past `end`.
struct ProtobufReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        position = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    /// A base-128 varint of at most 10 bytes, or nil when cut short or too long.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// One field: its number, wire type and, for length-delimited fields, its bytes; varints and fixed values as a
    /// number. Nil at the end or on malformed input (groups and unknown wire types are malformed here).
    mutating func field() -> (number: UInt64, value: UInt64, bytes: UnsafeRawBufferPointer?)? {
        guard let tag = varint(), tag >> 3 > 0 else { return nil }
        switch tag & 7 {
        case 0:
            guard let value = varint() else { return nil }
            return (tag >> 3, value, nil)
        case 1, 5:
            let width = tag & 7 == 1 ? 8 : 4
            guard end - position >= width else { return nil }
            let reader = ByteReader(bytes)
            let value = width == 8 ? reader.u64(at: position) : UInt64(reader.u32(at: position))
            position += width
            return (tag >> 3, value, nil)
        case 2:
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            let field = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
            position += Int(length)
            return (tag >> 3, length, field)
        default:
            return nil
        }
    }
}
