/// Writes safetensors files as the reference implementation does: header padded with spaces to a multiple of 8,
/// `__metadata__` first, tensors contiguous in entry order.
public struct SafetensorsWriter: CheckpointWriter {
    /// Called after each tensor is written.
    public var progress: (() -> Void)?

    public init(progress: (() -> Void)? = nil) {
        self.progress = progress
    }

    /// The header bytes (length prefix included) for `entries` and `metadata`.
    public static func header(for entries: [WritePlan.Entry], metadata: [String: String]) -> [UInt8] {
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for entry in entries {
            members.append((entry.name, .object([
                ("dtype", .string(entry.dtype.rawValue)),
                ("shape", .array(entry.shape.map { .integer(Int64($0)) })),
                ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + entry.byteCount))])),
            ])))
            offset += entry.byteCount
        }
        var json = Array(JSONValue.object(members).serialized().utf8)
        while (json.count + 8) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        let length = UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json
    }

    public func write(_ plan: WritePlan, from store: any TensorStore, to file: AtomicFile) throws -> Int {
        let header = Self.header(for: plan.entries, metadata: plan.metadata)
        try header.withUnsafeBytes { try file.write($0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(plan.largestEntry, 1), alignment: 64)
        defer { buffer.deallocate() }
        var overflows = 0
        for entry in plan.entries {
            // Same type and layout: straight from the source's mapping, a piece at a time; a type change converts a
            // piece at a time; moved axes are rendered whole.
            overflows += try entry.stream(from: store, buffer: buffer) { try file.write($0) }
            progress?()
        }
        return overflows
    }
}
