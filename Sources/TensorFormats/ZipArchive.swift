internal import CSupport

/// The member directory of a zip archive held in memory (a mapped file), read from its central directory.
///
/// Sizes and offsets come from the central directory only (torch writes zeros and a data descriptor in each local
/// header), with ZIP64 records where present (torch always writes them). Every member is checked before anything is
/// read: a safe, unique, UTF-8 name (no absolute path, no `..`, no backslash, no NUL), a local header that agrees with
/// the directory, data inside the file and before the directory, and no two members sharing bytes. Stored members are
/// read in place (`storedData(of:)`); a deflated one only through `inflated(_:in:)`, which bounds its declared size
/// first, inflates into memory of that size and checks the CRC-32.
public struct ZipArchive: Sendable {
    /// One member as the central directory lists it.
    public struct Member: Sendable {
        public var name: String
        /// 0 = stored, 8 = deflate.
        public var method: UInt16
        public var compressedSize: Int
        public var size: Int
        /// Offset of the member's data (after its local header) from the start of the archive.
        public var dataOffset: Int
        /// CRC-32 of the uncompressed data, as the central directory records it.
        public var crc32: UInt32 = 0
    }

    /// Largest ratio of inflated to compressed size accepted for a deflated member. Weights deflate by well under 2×
    /// and JSON by about 10×; a claim beyond this is a bomb, refused before any memory is taken.
    public static let maximumInflationRatio = 64

    /// Most members read from one archive (a torch zip holds one per storage: a few hundred for BERT).
    public static let maximumMembers = 200_000

    public let members: [Member]
    private let position: [String: Int]
    private let path: String

    /// Reads and checks the directory of the archive `bytes`, which is the whole file at `path`.
    public init(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorFormatError) {
        self.path = path
        func fail(_ reason: String) -> TensorFormatError { .invalidArchive(path: path, reason: reason) }
        let reader = ByteReader(bytes)
        guard let end = Self.findEndRecord(bytes) else { throw fail("no end-of-central-directory record (truncated or not a zip)") }
        var count = Int(reader.u16(at: end + 10))
        var directorySize = Int(reader.u32(at: end + 12))
        var directoryOffset = Int(reader.u32(at: end + 16))
        var directoryLimit = end
        // ZIP64: a locator right before the end record points at the ZIP64 end record with 64-bit fields.
        if end >= 20, reader.u32(at: end - 20) == 0x0706_4B50 {
            let recordOffset = reader.u64(at: end - 12)
            guard recordOffset <= UInt64(end - 20), Int(recordOffset) + 56 <= end - 20,
                  reader.u32(at: Int(recordOffset)) == 0x0606_4B50
            else { throw fail("the ZIP64 end-of-central-directory locator points outside the file") }
            let record = Int(recordOffset)
            let entries = reader.u64(at: record + 32), size = reader.u64(at: record + 40), offset = reader.u64(at: record + 48)
            guard entries <= UInt64(Self.maximumMembers), size <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
                throw fail("the ZIP64 end record claims \(entries) members, \(size) directory bytes at offset \(offset)")
            }
            count = Int(entries)
            directorySize = Int(size)
            directoryOffset = Int(offset)
            directoryLimit = record
        }
        guard count <= Self.maximumMembers else { throw fail("more than \(Self.maximumMembers) members") }
        guard directoryOffset <= directoryLimit, directorySize <= directoryLimit - directoryOffset else {
            throw fail("the central directory (\(directorySize) bytes at offset \(directoryOffset)) lies outside the file")
        }

        var members: [Member] = []
        members.reserveCapacity(count)
        var position: [String: Int] = [:]
        var spans: [(start: Int, end: Int, name: String)] = []
        var cursor = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<count {
            guard cursor + 46 <= directoryEnd, reader.u32(at: cursor) == 0x0201_4B50 else {
                throw fail("central directory entry \(members.count + 1) is cut short or has a bad signature")
            }
            let flags = reader.u16(at: cursor + 8)
            let method = reader.u16(at: cursor + 10)
            let checksum = reader.u32(at: cursor + 16)
            var compressed = UInt64(reader.u32(at: cursor + 20))
            var size = UInt64(reader.u32(at: cursor + 24))
            let nameLength = Int(reader.u16(at: cursor + 28)), extraLength = Int(reader.u16(at: cursor + 30))
            let commentLength = Int(reader.u16(at: cursor + 32))
            var localOffset = UInt64(reader.u32(at: cursor + 42))
            let nameStart = cursor + 46
            guard nameStart + nameLength + extraLength + commentLength <= directoryEnd else {
                throw fail("central directory entry \(members.count + 1) runs past the directory")
            }
            let rawName = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<(nameStart + nameLength)])
            guard let name = String(validating: rawName, as: UTF8.self) else {
                throw fail("member \(members.count + 1) has a name that is not UTF-8")
            }
            try Self.checkName(name, path: path)
            // ZIP64 extended information: 64-bit values for the fields whose 32-bit slot is all ones, in this order.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = reader.u16(at: extra), length = Int(reader.u16(at: extra + 2))
                guard extra + 4 + length <= extraEnd else { throw fail("member '\(name)' has an extra field running past its entry") }
                if id == 0x0001 {
                    var field = extra + 4
                    func next() throws(TensorFormatError) -> UInt64 {
                        guard field + 8 <= extra + 4 + length else { throw fail("member '\(name)' has a short ZIP64 extra field") }
                        defer { field += 8 }
                        return reader.u64(at: field)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard flags & 0x0001 == 0 else { throw fail("member '\(name)' is encrypted") }
            guard localOffset <= UInt64(directoryOffset), compressed <= UInt64(directoryOffset), size <= UInt64(Int.max) else {
                throw fail("member '\(name)' claims data outside the file")
            }
            let local = Int(localOffset)
            guard local + 30 <= directoryOffset, reader.u32(at: local) == 0x0403_4B50 else {
                throw fail("member '\(name)' has no local header at offset \(local)")
            }
            let localNameLength = Int(reader.u16(at: local + 26)), localExtraLength = Int(reader.u16(at: local + 28))
            let dataOffset = local + 30 + localNameLength + localExtraLength
            guard localNameLength == nameLength, dataOffset <= directoryOffset,
                  UnsafeRawBufferPointer(rebasing: bytes[(local + 30)..<(local + 30 + nameLength)]).elementsEqual(rawName)
            else { throw fail("member '\(name)': its local header does not match the central directory") }
            guard Int(compressed) <= directoryOffset - dataOffset else {
                throw fail("member '\(name)' claims \(compressed) bytes at offset \(dataOffset), past the end of the data")
            }
            guard position.updateValue(members.count, forKey: name) == nil else { throw fail("member '\(name)' is listed twice") }
            spans.append((local, dataOffset + Int(compressed), name))
            members.append(Member(name: name, method: method, compressedSize: Int(compressed), size: Int(size), dataOffset: dataOffset,
                                  crc32: checksum))
            cursor = nameStart + nameLength + extraLength + commentLength
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw fail("members '\(previous.name)' and '\(next.name)' overlap")
        }
        self.members = members
        self.position = position
    }

    /// The member called `name`, if any.
    public func member(named name: String) -> Member? { position[name].map { members[$0] } }

    /// The bytes of a stored member inside `bytes` (the archive given to `init`); compressed members are refused.
    public func storedData(of member: Member, in bytes: UnsafeRawBufferPointer) throws(TensorFormatError) -> UnsafeRawBufferPointer {
        guard member.method == 0 else {
            throw .invalidArchive(path: path, reason: "member '\(member.name)' is compressed (method \(member.method)); bertinspect reads stored members only, as torch.save and Keras write them")
        }
        guard member.size == member.compressedSize else {
            throw .invalidArchive(path: path, reason: "stored member '\(member.name)' claims \(member.size) bytes but occupies \(member.compressedSize)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[member.dataOffset..<(member.dataOffset + member.size)])
    }

    /// Memory holding a member inflated from its deflated form, exactly the member's size; freed with the object.
    public final class Inflated: @unchecked Sendable {
        private let storage: UnsafeMutableRawBufferPointer
        /// The inflated bytes (writable, so a library that wants a mutable pointer can read them in place).
        public let bytes: UnsafeMutableRawBufferPointer

        init(count: Int) {
            storage = .allocate(byteCount: max(count, 1), alignment: 64)
            bytes = UnsafeMutableRawBufferPointer(rebasing: storage[0..<count])
        }

        deinit { storage.deallocate() }
    }

    /// A deflated member (method 8) inflated into memory of the size the directory declares, once that size has been
    /// checked against the compressed size (a bomb is refused before any memory is taken); the result's CRC-32 must
    /// be the directory's.
    public func inflated(_ member: Member, in bytes: UnsafeRawBufferPointer) throws(TensorFormatError) -> Inflated {
        guard member.method == 8 else {
            throw .invalidArchive(path: path, reason: "member '\(member.name)' uses compression method \(member.method); bertinspect reads stored (0) and deflated (8) members")
        }
        guard member.size <= max(member.compressedSize, 1) * Self.maximumInflationRatio + (1 << 20) else {
            throw .invalidArchive(path: path, reason: "member '\(member.name)' claims to inflate \(member.compressedSize) bytes to \(member.size), more than \(Self.maximumInflationRatio)× (a zip bomb)")
        }
        let target = Inflated(count: member.size)
        let source = UnsafeRawBufferPointer(rebasing: bytes[member.dataOffset..<(member.dataOffset + member.compressedSize)])
        var produced = 0
        var checksum: UInt = 0
        if let problem = bertinspect_inflate_raw(source.baseAddress?.assumingMemoryBound(to: UInt8.self), source.count,
                                                 target.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), target.bytes.count,
                                                 &produced, &checksum) {
            throw .invalidArchive(path: path, reason: "member '\(member.name)': \(String(cString: problem))")
        }
        guard produced == member.size else {
            throw .invalidArchive(path: path, reason: "member '\(member.name)' inflates to \(produced) bytes, not the \(member.size) the directory declares")
        }
        guard UInt32(truncatingIfNeeded: checksum) == member.crc32 else {
            throw .invalidArchive(path: path, reason: "member '\(member.name)' fails its CRC-32 check (the archive is corrupt)")
        }
        return target
    }

    /// Offset of the end-of-central-directory record: searched backwards over the last 64 KiB + 22 bytes (the most a
    /// trailing comment allows), taking the first record whose comment length reaches exactly to the end.
    static func findEndRecord(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 22 else { return nil }
        let reader = ByteReader(bytes)
        var offset = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while offset >= lowest {
            if reader.u32(at: offset) == 0x0605_4B50, offset + 22 + Int(reader.u16(at: offset + 20)) == bytes.count { return offset }
            offset -= 1
        }
        return nil
    }

    /// Refuses member names that could name a place outside an extraction folder or be read two ways.
    static func checkName(_ name: String, path: String) throws(TensorFormatError) {
        let reason: String? =
            name.isEmpty ? "an empty member name"
            : name.hasPrefix("/") ? "member '\(name)' has an absolute name"
            : name.contains("\\") ? "member '\(name)' contains a backslash"
            : name.utf8.contains(0) ? "a member name contains NUL"
            : name.split(separator: "/", omittingEmptySubsequences: false).contains("..") ? "member '\(name)' contains '..'"
            : nil
        if let reason { throw .invalidArchive(path: path, reason: reason) }
    }
}

/// Little-endian reads from a byte buffer at offsets the caller has bounds-checked.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func u16(at offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
    func u32(at offset: Int) -> UInt32 { UInt32(u16(at: offset)) | UInt32(u16(at: offset + 2)) << 16 }
    func u64(at offset: Int) -> UInt64 { UInt64(u32(at: offset)) | UInt64(u32(at: offset + 4)) << 32 }
}
