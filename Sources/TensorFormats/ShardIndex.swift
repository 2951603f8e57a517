#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shard index file as transformers writes it: `{"metadata": {"total_size": …}, "weight_map": {tensor: file}}`.
public struct ShardIndex: Sendable {
    /// Path of the index file.
    public var path: String
    /// Tensor name → shard file name, in file order.
    public var weightMap: [(tensor: String, shard: String)]
    /// The distinct shard file names, in first-use order.
    public var shards: [String]
    /// `metadata.total_size` when present.
    public var totalSize: Int?

    /// Largest index file read (an index for bert-large is ~30 KB).
    public static let maximumFileSize = 64 << 20
    /// Most entries read from `weight_map` (as many as tensors a checkpoint may have).
    public static let maximumEntries = SafetensorsFile.maximumTensorCount

    /// Reads and validates the index at `path`; every shard name must stay inside the index's folder.
    public init(path: String) throws(TensorFormatError) {
        self.path = path
        let file = try MappedFile(path: path)
        guard file.count <= Self.maximumFileSize else { throw .invalidIndex(path: path, reason: "the file is larger than 64 MiB") }
        let json: JSONValue
        let options = JSONParser.Options(maximumValues: 4 * Self.maximumEntries)
        do { json = try file.withBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes, options: options) } } catch {
            if case .tooManyValues = error.reason {
                throw .invalidIndex(path: path, reason: "'weight_map' lists more than \(Self.maximumEntries) tensors")
            }
            throw .invalidIndex(path: path, reason: error.description)
        }
        guard let map = json["weight_map"]?.objectValue else {
            throw .invalidIndex(path: path, reason: "'weight_map' is missing or not an object")
        }
        guard map.count <= Self.maximumEntries else {
            throw .invalidIndex(path: path, reason: "'weight_map' lists \(map.count) tensors, more than \(Self.maximumEntries)")
        }
        var entries: [(String, String)] = []
        var shards: [String] = []
        var seenShards = Set<String>()
        for (tensor, value) in map {
            guard let shard = value.stringValue else {
                throw .invalidIndex(path: path, reason: "the shard of '\(tensor)' is not a string")
            }
            try Self.checkShardName(shard, indexPath: path)
            entries.append((tensor, shard))
            if seenShards.insert(shard).inserted { shards.append(shard) }
        }
        guard !shards.isEmpty else { throw .invalidIndex(path: path, reason: "'weight_map' is empty") }
        weightMap = entries
        self.shards = shards
        totalSize = json["metadata"]?["total_size"]?.intValue
    }

    /// The folder holding the index; shard names are relative to it.
    public var directory: String { FilePath.directory(of: path) }

    /// Refuses shard names that could leave the index's folder: separators, `..`, absolute paths, NUL.
    static func checkShardName(_ shard: String, indexPath: String) throws(TensorFormatError) {
        if shard.isEmpty || shard == "." || shard == ".." || shard.contains("/") || shard.contains("\\") || shard.contains("\0") {
            throw .unsafeShardName(path: indexPath, shard: shard)
        }
    }

    /// Resolves a checked shard name to a path, refusing symbolic links whose target leaves the folder.
    public func resolve(_ shard: String) throws(TensorFormatError) -> String {
        let candidate = FilePath.join(directory, shard)
        var info = stat()
        guard lstat(candidate, &info) == 0 else { throw .missingShard(path: path, shard: shard) }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let target = FilePath.realPath(candidate), let folder = FilePath.realPath(directory),
                  FilePath.directory(of: target) == folder
            else { throw .unsafeShardName(path: path, shard: shard) }
        }
        return candidate
    }
}
