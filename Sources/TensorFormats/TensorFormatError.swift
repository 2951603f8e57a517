/// Why a checkpoint file could not be read; every case names the file, and `description` is one sentence.
public enum TensorFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case unrecognizedFormat(path: String)
    case emptyDirectory(path: String, reason: String)
    // safetensors rules, one case each
    case fileTooShort(path: String, size: Int)
    case headerTooLarge(path: String, length: UInt64)
    case headerBeyondFile(path: String, length: UInt64, fileSize: Int)
    case headerNotUTF8(path: String)
    case headerNotObject(path: String)
    case headerNotJSON(path: String, reason: String)
    case duplicateKey(path: String, key: String)
    case invalidMetadata(path: String, reason: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case invalidShape(path: String, tensor: String)
    case invalidOffsets(path: String, tensor: String, begin: Int, end: Int)
    case offsetGap(path: String, tensor: String, expected: Int, actual: Int)
    case sizeMismatch(path: String, tensor: String, expected: Int, actual: Int)
    case dataLengthMismatch(path: String, expected: Int, actual: Int)
    case tooManyTensors(path: String, count: Int)
    // sharded checkpoints
    case invalidIndex(path: String, reason: String)
    case unsafeShardName(path: String, shard: String)
    case missingShard(path: String, shard: String)
    case shardMismatch(path: String, tensor: String, reason: String)
    case duplicateTensor(path: String, tensor: String)
    case invalidCompanion(path: String, reason: String)
    /// A checkpoint format bertinspect recognises but does not read (`name` says which), with what to do instead.
    case foreignFormat(path: String, name: String, advice: String)
    /// One shard of a sharded checkpoint was given instead of its index.
    case shardGiven(path: String, number: Int, total: Int, index: String?)
    case unsupported(path: String, reason: String)
    // PyTorch pickle checkpoints
    case invalidArchive(path: String, reason: String)
    /// An ONNX file whose protobuf framing or graph is malformed.
    case invalidONNX(path: String, reason: String)
    /// The pickle asks for something outside the allow-list (a global, an opcode); nothing was executed.
    case refusedPickle(path: String, member: String, offset: Int, reason: String)
    case invalidPickle(path: String, member: String, offset: Int, reason: String)
    case invalidTensorData(path: String, tensor: String, reason: String)
    case invalidLegacyStream(path: String, reason: String)
    // TensorFlow checkpoints
    case invalidCheckpointIndex(path: String, reason: String)
    /// A record of a file of texts (CSV, TSV, JSON Lines) is malformed.
    case invalidRecord(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open the file: \(reason)."
        case let .unrecognizedFormat(path):
            return "\(path): not a checkpoint bertinspect reads (neither HDF5, safetensors, a PyTorch pickle, a TensorFlow checkpoint, nor a shard index)."
        case let .emptyDirectory(path, reason): return "\(path): \(reason)."
        case let .fileTooShort(path, size):
            return "\(path): the file is \(size) bytes, too short for a safetensors header (8-byte length first)."
        case let .headerTooLarge(path, length):
            return "\(path): the safetensors header claims \(length) bytes, over the 100,000,000-byte limit."
        case let .headerBeyondFile(path, length, size):
            return "\(path): the safetensors header claims \(length) bytes but the file has only \(size) bytes."
        case let .headerNotUTF8(path): return "\(path): the safetensors header is not valid UTF-8."
        case let .headerNotObject(path): return "\(path): the safetensors header does not start with '{'."
        case let .headerNotJSON(path, reason): return "\(path): the safetensors header is not valid JSON: \(reason)."
        case let .duplicateKey(path, key): return "\(path): the safetensors header lists '\(key)' twice."
        case let .invalidMetadata(path, reason): return "\(path): the safetensors __metadata__ is invalid: \(reason)."
        case let .invalidEntry(path, tensor, reason): return "\(path): tensor '\(tensor)' has an invalid header entry: \(reason)."
        case let .unknownDType(path, tensor, dtype): return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'."
        case let .invalidShape(path, tensor):
            return "\(path): tensor '\(tensor)' has an invalid shape (negative, non-integer or overflowing)."
        case let .invalidOffsets(path, tensor, begin, end):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] that end before they begin."
        case let .offsetGap(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' begins at byte \(actual) of the data buffer, expected \(expected) (gap or overlap)."
        case let .sizeMismatch(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' occupies \(actual) bytes but its dtype and shape need \(expected)."
        case let .dataLengthMismatch(path, expected, actual):
            return "\(path): the data buffer is \(actual) bytes but the tensors cover \(expected) bytes."
        case let .tooManyTensors(path, count):
            return "\(path): the header lists \(count > SafetensorsFile.maximumTensorCount ? "more than \(SafetensorsFile.maximumTensorCount)" : String(count)) tensors, more than bertinspect accepts."
        case let .invalidIndex(path, reason): return "\(path): invalid shard index: \(reason)."
        case let .unsafeShardName(path, shard):
            return "\(path): shard name '\(shard)' leaves the checkpoint's folder; refused."
        case let .missingShard(path, shard): return "\(path): shard '\(shard)' named in the index does not exist."
        case let .shardMismatch(path, tensor, reason): return "\(path): tensor '\(tensor)' \(reason)."
        case let .duplicateTensor(path, tensor): return "\(path): tensor '\(tensor)' is stored more than once."
        case let .invalidCompanion(path, reason): return "\(path): \(reason)."
        case let .foreignFormat(path, name, advice): return "\(path): \(name), which bertinspect does not read; \(advice)."
        case let .shardGiven(path, number, total, index):
            return "\(path): shard \(number) of \(total) of a sharded checkpoint, not a model on its own; pass "
                + (index.map { "the index file \($0)" } ?? "the index file (model.safetensors.index.json, tf_model.h5.index.json or pytorch_model.bin.index.json)") + " or its folder."
        case let .unsupported(path, reason): return "\(path): unsupported: \(reason)."
        case let .invalidArchive(path, reason): return "\(path): invalid zip archive: \(reason)."
        case let .invalidONNX(path, reason): return "\(path): not a valid ONNX model: \(reason)."
        case let .refusedPickle(path, member, offset, reason):
            return "\(path): \(member), byte \(offset): \(reason); refused, nothing was executed."
        case let .invalidPickle(path, member, offset, reason): return "\(path): \(member), byte \(offset): malformed pickle: \(reason)."
        case let .invalidTensorData(path, tensor, reason): return "\(path): tensor '\(tensor)': \(reason)."
        case let .invalidLegacyStream(path, reason): return "\(path): invalid legacy torch.save stream: \(reason)."
        case let .invalidCheckpointIndex(path, reason): return "\(path): invalid TensorFlow checkpoint index: \(reason)."
        case let .invalidRecord(path, line, reason): return "\(path): line \(line): \(reason)."
        }
    }
}
