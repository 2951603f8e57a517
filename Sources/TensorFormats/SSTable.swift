/// The key/value table of a TensorFlow checkpoint's `.index` file: a LevelDB-format SSTable
/// (tensorflow `xla/tsl/lib/io/{format,block,table}.cc`), read whole and checked.
///
/// Checked: the footer's magic number; every block handle inside the file; every block's masked CRC-32C over its
/// bytes and type byte; uncompressed blocks only (TensorFlow writes bundles uncompressed; snappy is refused by name);
/// each block's restart array; prefix-compressed keys whose shared part does not exceed the previous key; keys in
/// strictly increasing order across the whole table.
struct SSTable {
    /// Every entry, in key order.
    let entries: [(key: [UInt8], value: UnsafeRawBufferPointer)]

    static let magic: UInt64 = 0xDB47_7524_8B80_FB57
    static let footerSize = 48
    /// Most entries read (a bert-large training checkpoint with Adam slots has about 1,200).
    static let maximumEntries = 300_000

    struct Failure: Error { var reason: String }

    /// Reads the table in `bytes` (the whole `.index` file).
    init(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        guard bytes.count >= Self.footerSize else { throw Failure(reason: "the file is \(bytes.count) bytes, too short for a table footer") }
        let footer = bytes.count - Self.footerSize
        guard ByteReader(bytes).u64(at: bytes.count - 8) == Self.magic else { throw Failure(reason: "bad magic number: not a TensorFlow checkpoint index") }
        var cursor = footer
        _ = try Self.handle(bytes, &cursor, limit: bytes.count - 8) // metaindex: unused
        let index = try Self.handle(bytes, &cursor, limit: bytes.count - 8)
        var entries: [(key: [UInt8], value: UnsafeRawBufferPointer)] = []
        for handle in try Self.block(bytes, index, name: "index block") {
            var position = 0
            let dataHandle = try Self.handle(handle.value, &position, limit: handle.value.count)
            for entry in try Self.block(bytes, dataHandle, name: "data block at offset \(dataHandle.offset)") {
                if let last = entries.last, !last.key.lexicographicallyPrecedes(entry.key) {
                    throw Failure(reason: "keys are not in increasing order")
                }
                guard entries.count < Self.maximumEntries else { throw Failure(reason: "more than \(Self.maximumEntries) entries") }
                entries.append(entry)
            }
        }
        self.entries = entries
    }

    /// A block handle: two varints, offset and size.
    private static func handle(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, limit: Int) throws(Failure) -> (offset: Int, size: Int) {
        var reader = ProtobufReader(bytes, from: cursor, to: limit)
        guard let offset = reader.varint(), let size = reader.varint() else { throw Failure(reason: "a block handle is cut short") }
        cursor = reader.position
        return (Int(clamping: offset), Int(clamping: size))
    }

    /// The entries of the block at `handle`, after checking its trailer and restart array.
    private static func block(
        _ bytes: UnsafeRawBufferPointer, _ handle: (offset: Int, size: Int), name: String
    ) throws(Failure) -> [(key: [UInt8], value: UnsafeRawBufferPointer)] {
        let (offset, size) = handle
        // Handles are varints clamped to Int.max: compare against the room left, never add to them.
        guard offset >= 0, size >= 0, offset <= bytes.count - footerSize, bytes.count - footerSize - offset >= 5,
              size <= bytes.count - footerSize - offset - 5
        else {
            throw Failure(reason: "the \(name) (\(size) bytes at offset \(offset)) lies outside the file")
        }
        let type = bytes[offset + size]
        let stored = ByteReader(bytes).u32(at: offset + size + 1)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size + 1)]))
        guard CRC32C.mask(crc) == stored else { throw Failure(reason: "the \(name) fails its CRC-32C check") }
        guard type == 0 else {
            throw Failure(reason: "the \(name) is \(type == 1 ? "snappy-compressed" : "compressed with type \(type)"); bertinspect reads uncompressed tables, as TensorFlow writes checkpoints")
        }
        let block = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
        guard block.count >= 4 else { throw Failure(reason: "the \(name) is too short") }
        let restarts = Int(ByteReader(block).u32(at: block.count - 4))
        guard restarts <= (block.count - 4) / 4 else { throw Failure(reason: "the \(name) claims \(restarts) restart points") }
        let end = block.count - 4 - 4 * restarts
        var entries: [(key: [UInt8], value: UnsafeRawBufferPointer)] = []
        var key: [UInt8] = []
        var reader = ProtobufReader(block, from: 0, to: end)
        while reader.position < end {
            guard let shared = reader.varint(), let unshared = reader.varint(), let length = reader.varint(),
                  shared <= UInt64(key.count), unshared <= UInt64(end - reader.position),
                  length <= UInt64(end - reader.position) - unshared
            else { throw Failure(reason: "an entry of the \(name) is malformed") }
            key.removeSubrange(Int(shared)...)
            key += UnsafeRawBufferPointer(rebasing: block[reader.position..<(reader.position + Int(unshared))])
            let valueStart = reader.position + Int(unshared)
            entries.append((key, UnsafeRawBufferPointer(rebasing: block[valueStart..<(valueStart + Int(length))])))
            reader.position = valueStart + Int(length)
        }
        return entries
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
