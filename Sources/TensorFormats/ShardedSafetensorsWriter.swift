/// Writes a plan as safetensors shards of at most `maximumBytes` each plus `model.safetensors.index.json`, as
/// transformers' `save_pretrained(max_shard_size=…)` does: the writer twin of `ShardIndex`.
public struct ShardedSafetensorsWriter {
    public var maximumBytes: Int
    /// Called after each tensor is written.
    public var progress: (() -> Void)?

    public init(maximumBytes: Int, progress: (() -> Void)? = nil) {
        self.maximumBytes = maximumBytes
        self.progress = progress
    }

    /// Writes the shards and the index into `folder`, each file published atomically through `open`; returns the
    /// paths written (index first) and the number of values that overflowed when narrowing.
    public func write(_ plan: WritePlan, from store: any TensorStore, folder: String,
                      open: (String) throws -> AtomicFile) throws -> (paths: [String], overflows: Int) {
        var shards: [[WritePlan.Entry]] = [[]]
        var size = 0
        for entry in plan.entries {
            if size > 0, size + entry.byteCount > maximumBytes {
                shards.append([])
                size = 0
            }
            shards[shards.count - 1].append(entry)
            size += entry.byteCount
        }
        func number(_ i: Int) -> String { let s = String(i); return String(repeating: "0", count: max(0, 5 - s.count)) + s }
        var written: [String] = []
        var weightMap: [(String, JSONValue)] = []
        var overflows = 0
        for (i, entries) in shards.enumerated() {
            let name = "model-\(number(i + 1))-of-\(number(shards.count)).safetensors"
            let file = try open(FilePath.join(folder, name))
            overflows += try SafetensorsWriter(progress: progress).write(WritePlan(entries: entries, metadata: plan.metadata), from: store, to: file)
            try file.commit()
            written.append(FilePath.join(folder, name))
            weightMap += entries.map { ($0.name, .string(name)) }
        }
        let total = plan.entries.reduce(0) { $0 + $1.byteCount }
        let index = JSONValue.object([
            ("metadata", .object([("total_size", .integer(Int64(total)))])),
            ("weight_map", .object(weightMap.sorted { $0.0 < $1.0 })),
        ]).serialized()
        let indexPath = FilePath.join(folder, "model.safetensors.index.json")
        let file = try open(indexPath)
        try Array(index.utf8).withUnsafeBytes { try file.write($0) }
        try file.commit()
        return ([indexPath] + written, overflows)
    }

    /// `2GB`, `500MB`, `100KB`, `1GiB` or a byte count (decimal units as transformers reads them); nil when the
    /// text is not a size or the size overflows.
    public static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1)]
        let upper = text.uppercased()
        for (suffix, factor) in units where upper.hasSuffix(suffix) {
            guard let value = Int(upper.dropLast(suffix.count)), value > 0 else { return nil }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: factor)
            return overflow ? nil : bytes
        }
        guard let value = Int(upper), value > 0 else { return nil }
        return value
    }
}
