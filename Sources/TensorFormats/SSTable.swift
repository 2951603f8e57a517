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
