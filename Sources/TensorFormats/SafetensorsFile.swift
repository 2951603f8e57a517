/// A safetensors file, memory-mapped and validated against every rule the reference implementation enforces.
///
/// Mirrors the checks of the safetensors crate's `SafeTensors::read_metadata` / `Metadata::validate`:
/// header length bounds, UTF-8 JSON object, unique keys, string-only `__metadata__`, known dtypes,
/// contiguous non-overlapping offsets starting at 0, sizes matching dtype × shape, no trailing bytes.
public final class SafetensorsFile: TensorStore, Sendable {
    /// Largest header accepted, as in the reference implementation.
    public static let maximumHeaderLength: UInt64 = 100_000_000
    /// Most tensors accepted in one file (a bert-large file has about 400; the largest sharded models a few
    /// thousand per shard).
    public static let maximumTensorCount = 100_000
    /// Most JSON values read from a header: enough for `maximumTensorCount` entries of up to 8 dimensions and a
    /// large `__metadata__`, and a bound on the memory a hostile header can make the parser hold.
    public static let maximumHeaderValues = 2_000_000

    public let path: String
    public let layout = StoreLayout.safetensors
    public let tensors: [StoredTensor]
    public let layerGroups: [LayerGroup]? = nil
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int
    private let ranges: [String: Range<Int>]

    public var fileSize: Int { file.count }

    /// Opens and validates `path`; nothing but the header is read.
    public init(path: String) throws(TensorFormatError) {
        self.path = path
        file = try MappedFile(path: path)
        let header = try Self.parseHeader(file.bytes, path: path)
        tensors = header.tensors
        metadata = header.metadata
        ranges = header.ranges
        dataStart = header.dataStart
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let range = ranges[tensor.name] else {
            throw TensorFormatError.shardMismatch(path: path, tensor: tensor.name, reason: "is not in this file")
        }
        return try body(UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)]))
    }

    public func hasStableView(of tensor: StoredTensor) -> Bool { ranges[tensor.name] != nil }

    public func discardPages(of tensor: StoredTensor) {
        if let range = ranges[tensor.name] { file.discardPages((dataStart + range.lowerBound)..<(dataStart + range.upperBound)) }
    }

    /// The parsed and validated header of a safetensors file.
    public struct Header: Sendable {
        public var tensors: [StoredTensor]
        public var metadata: [String: String]
        /// Byte range of each tensor inside the data buffer.
        public var ranges: [String: Range<Int>]
        /// Offset of the data buffer from the start of the file.
        public var dataStart: Int
    }

    /// Validates the header of `bytes` (a whole file) and returns its tensors in data order.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorFormatError) -> Header {
        guard bytes.count >= 8 else { throw .fileTooShort(path: path, size: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= maximumHeaderLength else { throw .headerTooLarge(path: path, length: length) }
        let headerLength = Int(length)
        guard 8 + headerLength <= bytes.count else { throw .headerBeyondFile(path: path, length: length, fileSize: bytes.count) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        guard headerBytes.allSatisfy({ $0 < 0x80 }) || String(validating: headerBytes, as: UTF8.self) != nil else {
            throw .headerNotUTF8(path: path)  // (an ASCII header is UTF-8 without making a String of it)
        }
        guard headerLength > 0, headerBytes[0] == UInt8(ascii: "{") else { throw .headerNotObject(path: path) }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsHeaderScan.Entry] = []
        var ranges: [String: Range<Int>] = [:]
        if let scanned = SafetensorsHeaderScan.scan(headerBytes, maximumEntries: maximumTensorCount, maximumValues: maximumHeaderValues) {
            ranges.reserveCapacity(scanned.entries.count)
            for entry in scanned.entries where ranges.updateValue(entry.begin..<entry.end, forKey: entry.tensor.name) != nil {
                // A repeated name: the general parser names the problem.
                return try parseGeneral(bytes, headerBytes: headerBytes, path: path)
            }
            (entries, metadata) = scanned
        } else {
            return try parseGeneral(bytes, headerBytes: headerBytes, path: path)
        }
        return try validated(entries: entries, metadata: metadata, ranges: ranges, bytes: bytes, headerLength: headerLength, path: path)
    }

    /// Reads a header with the general JSON parser; used when the direct scan gives up.
    private static func parseGeneral(
        _ bytes: UnsafeRawBufferPointer, headerBytes: UnsafeRawBufferPointer, path: String
    ) throws(TensorFormatError) -> Header {
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes, options: JSONParser.Options(maximumValues: maximumHeaderValues))
        } catch {
            if case let .duplicateKey(key) = error.reason { throw .duplicateKey(path: path, key: key) }
            if case .tooManyValues = error.reason { throw .tooManyTensors(path: path, count: maximumTensorCount + 1) }
            throw .headerNotJSON(path: path, reason: error.description)
        }
        guard let members = json.objectValue else { throw .headerNotObject(path: path) }
        guard members.count <= maximumTensorCount + 1 else { throw .tooManyTensors(path: path, count: members.count) }

        var metadata: [String: String] = [:]
        var entries: [SafetensorsHeaderScan.Entry] = []
        entries.reserveCapacity(members.count)
        for (key, value) in members {
            if key == "__metadata__" {
                guard let pairs = value.objectValue else { throw .invalidMetadata(path: path, reason: "it is not an object") }
                for (name, item) in pairs {
                    guard let text = item.stringValue else {
                        throw .invalidMetadata(path: path, reason: "the value of '\(name)' is not a string")
                    }
                    metadata[name] = text
                }
                continue
            }
            entries.append(try parseEntry(key, value, path: path))
        }
        var ranges: [String: Range<Int>] = [:]
        for entry in entries { ranges[entry.tensor.name] = entry.begin..<entry.end }
        return try validated(entries: entries, metadata: metadata, ranges: ranges, bytes: bytes, headerLength: headerBytes.count, path: path)
    }

    /// Checks the entries' offsets and sizes against each other and the file, in data order.
    private static func validated(
        entries: [SafetensorsHeaderScan.Entry], metadata: [String: String], ranges: [String: Range<Int>],
        bytes: UnsafeRawBufferPointer, headerLength: Int, path: String
    ) throws(TensorFormatError) -> Header {
        var entries = entries
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for entry in entries {
            let name = entry.tensor.name
            guard entry.begin == expected else {
                throw .offsetGap(path: path, tensor: name, expected: expected, actual: entry.begin)
            }
            guard let needed = checkedByteCount(shape: entry.tensor.shape, elementSize: entry.tensor.dtype.size) else {
                throw .invalidShape(path: path, tensor: name)
            }
            guard needed == entry.end - entry.begin else {
                throw .sizeMismatch(path: path, tensor: name, expected: needed, actual: entry.end - entry.begin)
            }
            expected = entry.end
        }
        let dataLength = bytes.count - 8 - headerLength
        guard expected == dataLength else { throw .dataLengthMismatch(path: path, expected: expected, actual: dataLength) }
        return Header(tensors: entries.map(\.tensor), metadata: metadata, ranges: ranges, dataStart: 8 + headerLength)
    }

    private static func parseEntry(
        _ name: String, _ value: JSONValue, path: String
    ) throws(TensorFormatError) -> SafetensorsHeaderScan.Entry {
        guard value.objectValue != nil else { throw .invalidEntry(path: path, tensor: name, reason: "it is not an object") }
        guard let dtypeName = value["dtype"]?.stringValue else {
            throw .invalidEntry(path: path, tensor: name, reason: "'dtype' is missing or not a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(path: path, tensor: name, dtype: dtypeName) }
        guard let shapeValues = value["shape"]?.arrayValue else {
            throw .invalidEntry(path: path, tensor: name, reason: "'shape' is missing or not a list")
        }
        var shape: [Int] = []
        for item in shapeValues {
            guard case let .integer(d) = item, d >= 0, let dimension = Int(exactly: d) else {
                throw .invalidShape(path: path, tensor: name)
            }
            shape.append(dimension)
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              case let .integer(b) = offsets[0], case let .integer(e) = offsets[1], b >= 0, e >= 0,
              let begin = Int(exactly: b), let end = Int(exactly: e)
        else {
            throw .invalidEntry(path: path, tensor: name, reason: "'data_offsets' must be two non-negative integers")
        }
        guard end >= begin else { throw .invalidOffsets(path: path, tensor: name, begin: begin, end: end) }
        return SafetensorsHeaderScan.Entry(tensor: StoredTensor(name: name, dtype: dtype, shape: shape), begin: begin, end: end)
    }
}
