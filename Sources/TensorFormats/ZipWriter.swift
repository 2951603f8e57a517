internal import CSupport

/// Writes a zip archive of stored (uncompressed) members to an output file, as Keras writes `.keras` archives: no data
/// descriptors, sizes and CRC-32 in each local header, ZIP64 records only where a size or offset needs 64 bits.
public struct ZipWriter {
    private let file: AtomicFile
    private var offset = 0
    private var directory: [UInt8] = []
    private var count = 0
    private var names = Set<String>()

    public init(file: AtomicFile) { self.file = file }

    /// Appends the member `name` holding `bytes`.
    public mutating func add(_ name: String, _ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        precondition(names.insert(name).inserted, "zip member \(name) written twice")
        var crc: UInt = 0
        if let base = bytes.baseAddress, bertinspect_crc32(base.assumingMemoryBound(to: UInt8.self), bytes.count, &crc) == 0 {
            throw .cannotWrite(path: file.destination, reason: "zlib (libz.so.1) could not be loaded to compute the archive's CRC-32")
        }
        let nameBytes = Array(name.utf8)
        let size = UInt64(bytes.count), start = UInt64(offset)
        let large = size >= 0xFFFF_FFFF
        // Local header: the ZIP64 extra field carries both sizes when they do not fit 32 bits.
        var local: [UInt8] = []
        local.le32(0x0403_4B50); local.le16(large ? 45 : 20); local.le16(0); local.le16(0)
        local.le16(0); local.le16(0x21)  // 1980-01-01 00:00, as Keras' own members
        local.le32(UInt32(truncatingIfNeeded: crc))
        local.le32(large ? 0xFFFF_FFFF : UInt32(size)); local.le32(large ? 0xFFFF_FFFF : UInt32(size))
        local.le16(UInt16(nameBytes.count)); local.le16(large ? 20 : 0)
        local += nameBytes
        if large { local.le16(0x0001); local.le16(16); local.le64(size); local.le64(size) }
        try write(local)
        try file.write(bytes)
        offset += bytes.count
        // Central directory entry, with whichever 64-bit values are needed.
        var extra: [UInt8] = []
        if large { extra.le64(size); extra.le64(size) }
        if start >= 0xFFFF_FFFF { extra.le64(start) }
        var entry: [UInt8] = []
        entry.le32(0x0201_4B50); entry.le16(0x031E); entry.le16(extra.isEmpty ? 20 : 45); entry.le16(0); entry.le16(0)
        entry.le16(0); entry.le16(0x21)
        entry.le32(UInt32(truncatingIfNeeded: crc))
        entry.le32(large ? 0xFFFF_FFFF : UInt32(size)); entry.le32(large ? 0xFFFF_FFFF : UInt32(size))
        entry.le16(UInt16(nameBytes.count)); entry.le16(extra.isEmpty ? 0 : UInt16(4 + extra.count)); entry.le16(0)
        entry.le16(0); entry.le16(0); entry.le32(0o100644 << 16)
        entry.le32(start >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(start))
        entry += nameBytes
        if !extra.isEmpty { entry.le16(0x0001); entry.le16(UInt16(extra.count)); entry += extra }
        directory += entry
        count += 1
    }

    /// Writes the central directory and the end records; the caller then commits the file.
    public mutating func finish() throws(OutputError) {
        let start = UInt64(offset), size = UInt64(directory.count)
        try write(directory)
        offset += directory.count
        var end: [UInt8] = []
        if start >= 0xFFFF_FFFF || count >= 0xFFFF {
            let record = UInt64(offset)
            end.le32(0x0606_4B50); end.le64(44); end.le16(0x031E); end.le16(45); end.le32(0); end.le32(0)
            end.le64(UInt64(count)); end.le64(UInt64(count)); end.le64(size); end.le64(start)
            end.le32(0x0706_4B50); end.le32(0); end.le64(record); end.le32(1)
        }
        end.le32(0x0605_4B50); end.le16(0); end.le16(0)
        end.le16(UInt16(min(count, 0xFFFF))); end.le16(UInt16(min(count, 0xFFFF)))
        end.le32(UInt32(min(size, 0xFFFF_FFFF))); end.le32(start >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(start)); end.le16(0)
        try write(end)
    }

    private mutating func write(_ bytes: [UInt8]) throws(OutputError) {
        let pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { pointer.deallocate() }
        pointer.copyBytes(from: bytes)
        try file.write(UnsafeRawBufferPointer(rebasing: pointer[0..<bytes.count]))
        offset += bytes.count
    }
}

extension [UInt8] {
    fileprivate mutating func le16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    fileprivate mutating func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
    fileprivate mutating func le64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { append(UInt8((value >> UInt64(shift)) & 0xFF)) } }
}
