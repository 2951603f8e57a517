/// A file format that can hold tensors; formats plug in here so that this module needs no HDF5 to know one exists.
public protocol CheckpointFormat: Sendable {
    /// Short name for messages (`safetensors`, `HDF5`).
    var name: String { get }
    /// Whether a file starting with `prefix` (up to its first 1,024 bytes) is in this format.
    func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool
    /// Opens and validates the file at `path`.
    func open(path: String) throws -> any TensorStore
}

/// The safetensors format: an 8-byte little-endian header length, then a JSON object.
public struct SafetensorsFormat: CheckpointFormat {
    public init() {}
    public var name: String { "safetensors" }

    public func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool {
        guard prefix.count >= 8 else { return false }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        if prefix.count > 8, prefix[8] == UInt8(ascii: "{") { return true }
        return length > 0 && length <= UInt64(max(fileSize - 8, 0))
    }

    public func open(path: String) throws -> any TensorStore { try SafetensorsFile(path: path) }
}
