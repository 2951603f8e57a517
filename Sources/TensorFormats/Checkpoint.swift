/// A checkpoint as the user names it (a weights file, a shard index or a model folder), opened:
/// its tensor store plus the companion files that say what shapes cannot (config.json, vocab.txt).
public struct Checkpoint: Sendable {
    /// The path the user gave.
    public var path: String
    /// The weights file or index that was opened.
    public var weightsPath: String
    public var store: any TensorStore
    /// config.json beside the weights, parsed, if present.
    public var config: JSONValue?
    public var configPath: String?
    /// vocab.txt beside the weights, if present.
    public var vocabPath: String?
    /// tokenizer_config.json beside the weights, parsed, if present.
    public var tokenizerConfig: JSONValue?
    /// Other weights files in the same model folder, not read (a folder that holds tf_model.h5 and model.safetensors).
    public var otherWeights: [String] = []

    /// Largest config.json / tokenizer_config.json read.
    public static let maximumConfigSize = 16 << 20

    /// Weight file names looked for in a model folder, in order of preference (HF conventions first).
    public static let weightFileNames = [
        "model.safetensors.index.json", "model.safetensors", "tf_model.h5.index.json", "tf_model.h5",
        "pytorch_model.bin.index.json", "pytorch_model.bin", "model.weights.h5", "weights.h5", "model.h5", "model.onnx",
    ]

    /// Shard index names, for the hint when one shard is given alone.
    static let indexFileNames = ["model.safetensors.index.json", "tf_model.h5.index.json", "pytorch_model.bin.index.json"]

    /// Pickle files a training run writes beside the model that hold no weights (transformers' Trainer).
    static let nonWeightPickles: Set<String> = ["training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt"]

    /// Opens `path` with the given formats, detecting the format from the file's content, never its name.
    public static func open(_ path: String, formats: [any CheckpointFormat]) throws -> Checkpoint {
        // A TensorFlow checkpoint is named by its prefix (`…/weights`), which is no file itself, or its .index file.
        let tensorflowPrefix = TensorFlowCheckpoint.prefix(for: path)
        guard let isDirectory = tensorflowPrefix != nil ? false : FilePath.isDirectory(path) else {
            // Why stat failed, in the words of the other messages: "no such file or directory", "too many levels of
            // symbolic links" (a link loop), "permission denied" (a folder on the way that cannot be searched).
            let reason = systemError()
            throw TensorFormatError.cannotOpen(path: path, reason: reason.prefix(1).lowercased() + reason.dropFirst())
        }
        let (weightsPath, others) = isDirectory ? try findWeights(in: path) : (tensorflowPrefix.map { $0 + ".index" } ?? path, [])
        let store = try openStore(weightsPath, formats: formats)
        let folder = FilePath.directory(of: weightsPath)
        var checkpoint = Checkpoint(path: path, weightsPath: weightsPath, store: store)
        checkpoint.otherWeights = others
        // Google's BERT releases name it bert_config.json (same fields, no model_type).
        let configPath = ["config.json", "bert_config.json"].map { FilePath.join(folder, $0) }.first(where: FilePath.isRegularFile) ?? ""
        if !configPath.isEmpty {
            checkpoint.config = try readJSON(configPath)
            checkpoint.configPath = configPath
        }
        let vocabPath = FilePath.join(folder, "vocab.txt")
        if FilePath.isRegularFile(vocabPath) { checkpoint.vocabPath = vocabPath }
        let tokenizerPath = FilePath.join(folder, "tokenizer_config.json")
        if FilePath.isRegularFile(tokenizerPath) { checkpoint.tokenizerConfig = try readJSON(tokenizerPath) }
        return checkpoint
    }

    init(path: String, weightsPath: String, store: any TensorStore) {
        self.path = path
        self.weightsPath = weightsPath
        self.store = store
    }

    /// The weights file a model folder holds, in `weightFileNames` order, and the other weights files it holds
    /// under the other conventional names, which are not read.
    static func findWeights(in directory: String) throws -> (String, [String]) {
        let present = weightFileNames.filter { FilePath.isRegularFile(FilePath.join(directory, $0)) }
        if let first = present.first {
            return (FilePath.join(directory, first), Array(present.dropFirst()))
        }
        let others = FilePath.contents(of: directory).filter {
            ($0.hasSuffix(".safetensors") || $0.hasSuffix(".h5") || $0.hasSuffix(".onnx") || ($0.hasSuffix(".bin") && !nonWeightPickles.contains($0)))
                && FilePath.isRegularFile(FilePath.join(directory, $0))
        }
        if others.isEmpty, let index = tensorflowIndex(in: directory) { return (index, []) }
        if others.isEmpty, let (name, format) = ForeignFormat.find(in: directory) {
            throw TensorFormatError.foreignFormat(path: FilePath.join(directory, name), name: format.name, advice: format.advice)
        }
        guard others.count == 1 else {
            let reason = others.isEmpty
                ? "the folder holds no weights file (looked for \(weightFileNames.joined(separator: ", ")), *.safetensors, *.h5, *.bin, *.onnx)"
                : "the folder holds several weights files (\(others.joined(separator: ", "))); name one"
            throw TensorFormatError.emptyDirectory(path: directory, reason: reason)
        }
        return (FilePath.join(directory, others[0]), [])
    }

    /// The `.index` file of the TensorFlow checkpoint a folder holds: the one its `checkpoint` file names
    /// (`model_checkpoint_path: "…"`), else the only `*.index` file; nil when there is none (or several and no
    /// `checkpoint` file), or when the folder is a SavedModel.
    static func tensorflowIndex(in directory: String) -> String? {
        let names = FilePath.contents(of: directory)
        guard !names.contains("saved_model.pb") else { return nil }
        let state = FilePath.join(directory, "checkpoint")
        if FilePath.isRegularFile(state), let text = try? MappedFile(path: state), text.count < 1 << 20 {
            let lines = text.withBytes { String(decoding: $0, as: UTF8.self) }.split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix("model_checkpoint_path:") }),
               let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close {
                let name = String(line[line.index(after: open)..<close])
                let candidate = FilePath.join(directory, name + ".index")
                if !name.contains("/"), FilePath.isRegularFile(candidate) { return candidate }
            }
        }
        let indexes = names.filter { $0.hasSuffix(".index") && !$0.hasSuffix(".json") && FilePath.isRegularFile(FilePath.join(directory, $0)) }
        return indexes.count == 1 ? FilePath.join(directory, indexes[0]) : nil
    }

    /// `…/model.ckpt.data-00000-of-00001` → `…/model.ckpt`: the prefix of a TensorFlow checkpoint data file.
    static func dataFilePrefix(_ path: String) -> String? {
        let name = FilePath.fileName(of: path)
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let last = parts.last, last.hasPrefix("data-"), last.contains("-of-") else { return nil }
        return String(path.dropLast(last.count + 1))
    }

    /// `model-00002-of-00003.safetensors` → (2, 3): the name transformers gives each shard of a sharded checkpoint.
    static func shardNumber(of path: String) -> (Int, Int)? {
        let name = FilePath.fileName(of: path)
        guard let dot = name.lastIndex(of: "."), ["safetensors", "h5", "bin"].contains(name[name.index(after: dot)...]) else { return nil }
        let stem = name[..<dot]
        let parts = stem.split(separator: "-")
        guard parts.count >= 4, parts[parts.count - 2] == "of", parts[parts.count - 1].count == 5, parts[parts.count - 3].count == 5,
              let number = Int(parts[parts.count - 3]), let total = Int(parts[parts.count - 1]), total > 1, number >= 1, number <= total
        else { return nil }
        return (number, total)
    }

    /// Opens one weights file or shard index, recognising the format by content.
    public static func openStore(_ path: String, formats: [any CheckpointFormat]) throws -> any TensorStore {
        // One shard alone is not a model: summarising it would report a broken BERT with missing parameters.
        if let (number, total) = shardNumber(of: path) {
            let folder = FilePath.directory(of: path)
            let index = indexFileNames.map { FilePath.join(folder, $0) }.first(where: FilePath.isRegularFile)
            throw TensorFormatError.shardGiven(path: path, number: number, total: total, index: index)
        }
        if path.hasSuffix(".index"), FilePath.isRegularFile(path) { return try TensorFlowCheckpoint(prefix: String(path.dropLast(6))) }
        if let prefix = dataFilePrefix(path), FilePath.isRegularFile(prefix + ".index") {
            throw TensorFormatError.unsupported(path: path, reason: "this is a data file of the TensorFlow checkpoint \(prefix); pass its prefix \(prefix) or \(prefix).index")
        }
        let (prefix, size) = try InputFile.head(of: path, count: 1024)
        // A shard index is JSON text; a safetensors length prefix holds NUL bytes, so text never looks like one.
        if let first = prefix.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "{"),
           !prefix.prefix(16).contains(0) {
            let index = try ShardIndex(path: path)
            let shardFormat = try detect(FilePath.join(index.directory, index.shards[0]), index: index, formats: formats)
            return try ShardedStore(index: index, open: { try shardFormat.open(path: $0) })
        }
        let recognized = prefix.withUnsafeBytes { bytes in formats.first { $0.recognizes(prefix: bytes, fileSize: size) } }
        if let format = recognized { return try format.open(path: path) }
        if size == 0 { throw TensorFormatError.cannotOpen(path: path, reason: "the file is empty") }
        if let foreign = ForeignFormat.identify(path: path) {
            throw TensorFormatError.foreignFormat(path: path, name: foreign.name, advice: foreign.advice)
        }
        throw TensorFormatError.unrecognizedFormat(path: path)
    }

    private static func detect(_ shardPath: String, index: ShardIndex, formats: [any CheckpointFormat]) throws -> any CheckpointFormat {
        let resolved = try index.resolve(FilePath.fileName(of: shardPath))
        let (prefix, size) = try InputFile.head(of: resolved, count: 1024)
        guard let format = prefix.withUnsafeBytes({ bytes in formats.first { $0.recognizes(prefix: bytes, fileSize: size) } }) else {
            throw TensorFormatError.unrecognizedFormat(path: resolved)
        }
        return format
    }

    /// Reads a small JSON companion file.
    static func readJSON(_ path: String) throws(TensorFormatError) -> JSONValue {
        guard let bytes = try InputFile.contents(of: path, limit: maximumConfigSize) else {
            throw .invalidCompanion(path: path, reason: "the file is larger than 16 MiB")
        }
        do { return try JSONParser.parse(bytes) } catch {
            throw .invalidCompanion(path: path, reason: "not valid JSON: \(error.description)")
        }
    }
}

