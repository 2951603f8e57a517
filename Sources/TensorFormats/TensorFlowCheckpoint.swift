/// A TensorFlow checkpoint bundle (`<prefix>.index` + `<prefix>.data-NNNNN-of-NNNNN`), as TF1's `Saver`, TF2's
/// `tf.train.Checkpoint` and Keras' `save_weights` in TF format write it (tensorflow
/// `core/util/tensor_bundle/tensor_bundle.cc`, `core/protobuf/tensor_bundle.proto`).
///
/// The index is checked as an SSTable (footer, block CRCs, key order) and each entry as a `BundleEntryProto`: a known
/// dtype, a valid shape, `size == elements × element size`, data inside its shard, no partitioned slices, a
/// little-endian bundle. Each tensor's masked CRC-32C is checked whenever its bytes are read.
///
/// Names: Google's original BERT names (`bert/encoder/layer_0/…`, `cls/…`, `run_classifier.py`'s root
/// `output_weights`) are read through transformers' `load_tf_weights_in_bert` rules as the HF TensorFlow names they
/// stand for (`bert/encoder/layer_._0/…`, `mlm___cls/…`, `classifier/kernel`), so every command sees one naming; the
/// two `[out, in]` matrices Google stores untransposed (`output_weights`) are handed out transposed like any kernel.
/// TF2 object-graph keys (`…/.ATTRIBUTES/VARIABLE_VALUE`) are named by the variable's full name recorded in
/// `_CHECKPOINTABLE_OBJECT_GRAPH`. Optimizer slots (`adam_m`, `adam_v`, `.OPTIMIZER_SLOT`, Keras `optimizer/…`),
/// `global_step`, `save_counter` and string tensors are listed as not read.
public final class TensorFlowCheckpoint: TensorStore, Sendable {
    public let path: String
    public let layout: StoreLayout
    public let tensors: [StoredTensor]
    public let layerGroups: [LayerGroup]? = nil
    public let metadata: [String: String]
    public let unlistedNames: [String]
    /// The stored name of each tensor as the index lists it (before the renaming described above).
    public let originalNames: [String: String]
    private let index: MappedFile
    private let shards: [MappedFile]
    private let entries: [String: Entry]

    public var fileSize: Int { index.count + shards.reduce(0) { $0 + $1.count } }

    struct Entry: Sendable {
        var shard: Int
        var offset: Int
        var size: Int
        var crc: UInt32
        var shape: [Int]
        var dtype: DType
        /// Google's untransposed `[out, in]` output weights, handed out as `[in, out]`.
        var transposed: Bool
    }

    /// TensorFlow `DataType` numbers (types.proto) read as tensors.
    static let dtypes: [UInt64: DType] = [1: .f32, 2: .f64, 3: .i32, 4: .u8, 5: .i16, 6: .i8, 9: .i64, 10: .bool, 14: .bf16, 19: .f16]
    static let stringType: UInt64 = 7

    /// The prefix named by `path`: the prefix itself, its `.index` file, or nil.
    public static func prefix(for path: String) -> String? {
        if path.hasSuffix(".index"), FilePath.isRegularFile(path) { return String(path.dropLast(6)) }
        if FilePath.isDirectory(path) == nil, FilePath.isRegularFile(path + ".index") { return path }
        return nil
    }

    /// Opens the bundle at `prefix`.
    public init(prefix: String) throws(TensorFormatError) {
        path = prefix
        let indexPath = prefix + ".index"
        index = try MappedFile(path: indexPath)
        func fail(_ reason: String) -> TensorFormatError { .invalidCheckpointIndex(path: indexPath, reason: reason) }
        let (shardCount, indexEntries) = try index.withBytes { bytes throws(TensorFormatError) in try Self.readIndex(bytes, path: indexPath) }
        var shards: [MappedFile] = []
        for shard in 0..<shardCount {
            let name = prefix + ".data-" + Self.fiveDigits(shard) + "-of-" + Self.fiveDigits(shardCount)
            guard FilePath.isRegularFile(name) else { throw TensorFormatError.missingShard(path: indexPath, shard: FilePath.fileName(of: name)) }
            shards.append(try MappedFile(path: name))
        }

        var raw: [(name: String, entry: Entry)] = []
        var strings: [String: UnsafeRawBufferPointer] = [:]
        var unlisted: [String] = []
        for (name, parsed) in indexEntries {
            guard parsed.shard < shards.count, parsed.offset <= shards[parsed.shard].count,
                  parsed.size <= shards[parsed.shard].count - parsed.offset
            else { throw fail("tensor '\(name)' (\(parsed.size) bytes at offset \(parsed.offset) of shard \(parsed.shard)) lies outside its data file") }
            guard let dtype = parsed.dtype else {
                if parsed.type == Self.stringType { strings[name] = UnsafeRawBufferPointer(rebasing: shards[parsed.shard].bytes[parsed.offset..<(parsed.offset + parsed.size)]) }
                if name != "_CHECKPOINTABLE_OBJECT_GRAPH" { unlisted.append(name) }
                continue
            }
            guard let bytes = checkedByteCount(shape: parsed.shape, elementSize: dtype.size), bytes == parsed.size else {
                throw fail("tensor '\(name)' holds \(parsed.size) bytes, not what its dtype and shape \(parsed.shape) need")
            }
            raw.append((name, Entry(shard: parsed.shard, offset: parsed.offset, size: parsed.size, crc: parsed.crc, shape: parsed.shape, dtype: dtype, transposed: false)))
        }

        // Names: TF2 keys by the object graph's full names; Google's TF1 names by transformers' mapping.
        let fullNames = strings["_CHECKPOINTABLE_OBJECT_GRAPH"].flatMap(Self.objectGraphNames) ?? [:]
        let google = raw.contains { $0.name == "bert/embeddings/word_embeddings" }
        let garden = fullNames.values.contains("word_embeddings/embeddings") && fullNames.values.contains { $0.hasPrefix("transformer/layer_") }
        var tensors: [StoredTensor] = []
        var entries: [String: Entry] = [:]
        var originals: [String: String] = [:]
        var heads: Int?
        for (name, entry) in raw {
            guard !Self.isTrainingState(name) else { unlisted.append(name); continue }
            var shown = name
            var entry = entry
            if let full = fullNames[name], !full.isEmpty {
                shown = full
                if garden, let mapped = Self.gardenName(full, shape: entry.shape) {
                    // A 3-D query kernel `[hidden, heads, head_size]` tells the head count, which 2-D shapes cannot.
                    if full.hasSuffix("/self_attention/query/kernel"), entry.shape.count == 3 { heads = entry.shape[1] }
                    shown = mapped.name
                    entry.shape = mapped.shape
                }
            } else if name.hasSuffix("/.ATTRIBUTES/VARIABLE_VALUE") {
                shown = String(name.dropLast("/.ATTRIBUTES/VARIABLE_VALUE".count))
            } else if google, let mapped = Self.googleName(name) {
                shown = mapped.name
                if mapped.transposed, entry.shape.count == 2 {
                    entry.transposed = true
                    entry.shape.reverse()
                }
            }
            guard entries[shown] == nil else { throw TensorFormatError.duplicateTensor(path: indexPath, tensor: shown) }
            entries[shown] = entry
            originals[shown] = name
            tensors.append(StoredTensor(name: shown, dtype: entry.dtype, shape: entry.shape))
        }
        layout = fullNames.isEmpty && !raw.contains(where: { $0.name.hasSuffix("/.ATTRIBUTES/VARIABLE_VALUE") })
            ? (google ? .tensorflowGoogleBERT : .tensorflowV1) : (garden ? .tensorflowModelGarden : .tensorflowV2)
        metadata = heads.map { [StoreMetadataKey.attentionHeads: String($0)] } ?? [:]
        self.shards = shards
        self.tensors = tensors
        self.entries = entries
        originalNames = originals
        unlistedNames = unlisted
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let entry = entries[tensor.name] else {
            throw TensorFormatError.shardMismatch(path: path, tensor: tensor.name, reason: "is not in this checkpoint")
        }
        return try shards[entry.shard].withBytes { file in
            let bytes = UnsafeRawBufferPointer(rebasing: file[entry.offset..<(entry.offset + entry.size)])
            guard CRC32C.mask(CRC32C.checksum(bytes)) == entry.crc else {
                throw TensorFormatError.invalidTensorData(path: path, tensor: originalNames[tensor.name] ?? tensor.name, reason: "its data fails its CRC-32C check (the data file is corrupt)")
            }
            guard entry.transposed else { return try body(bytes) }
            let (rows, columns, size) = (entry.shape[1], entry.shape[0], entry.dtype.size)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: entry.size, alignment: 16)
            defer { buffer.deallocate() }
            for row in 0..<rows {
                for column in 0..<columns {
                    (buffer.baseAddress! + (column * rows + row) * size).copyMemory(from: bytes.baseAddress! + (row * columns + column) * size, byteCount: size)
                }
            }
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    public func hasStableView(of tensor: StoredTensor) -> Bool { false }

    public func discardPages(of tensor: StoredTensor) {
        guard let entry = entries[tensor.name] else { return }
        shards[entry.shard].discardPages(entry.offset..<(entry.offset + entry.size))
    }

    // MARK: - Entries

    /// One index entry as its `BundleEntryProto` describes it.
    public typealias IndexEntry = (type: UInt64, dtype: DType?, shape: [Int], shard: Int, offset: Int, size: Int, crc: UInt32)

    /// Reads and checks an `.index` file's bytes: the table, the bundle header (its shard count) and every entry.
    public static func readIndex(_ bytes: UnsafeRawBufferPointer, path indexPath: String) throws(TensorFormatError) -> (shards: Int, entries: [(String, IndexEntry)]) {
        func fail(_ reason: String) -> TensorFormatError { .invalidCheckpointIndex(path: indexPath, reason: reason) }
        let table: SSTable
        do { table = try SSTable(bytes) } catch { throw fail(error.reason) }
        guard let header = table.entries.first, header.key.isEmpty else { throw fail("the first entry is not the bundle header") }
        var shardCount = 1
        var reader = ProtobufReader(header.value)
        while !reader.atEnd {
            guard let field = reader.field() else { throw fail("the bundle header is malformed") }
            if field.number == 1 { shardCount = Int(clamping: field.value) }
            if field.number == 2, field.value != 0 { throw TensorFormatError.unsupported(path: indexPath, reason: "a big-endian checkpoint bundle") }
        }
        guard shardCount >= 1, shardCount <= 10_000 else { throw fail("the header claims \(shardCount) data shards") }
        var entries: [(String, IndexEntry)] = []
        for (key, value) in table.entries.dropFirst() {
            guard let name = String(validating: key, as: UTF8.self) else { throw fail("a key is not UTF-8") }
            entries.append((name, try entry(value, name: name, indexPath: indexPath)))
        }
        return (shardCount, entries)
    }

    /// A `BundleEntryProto`.
    static func entry(_ value: UnsafeRawBufferPointer, name: String, indexPath: String) throws(TensorFormatError) -> IndexEntry {
        func fail(_ reason: String) -> TensorFormatError { .invalidCheckpointIndex(path: indexPath, reason: "entry '\(name)': \(reason)") }
        var type: UInt64 = 0, shape: [Int] = [], shard = 0, offset = 0, size = 0, crc: UInt32 = 0
        var reader = ProtobufReader(value)
        while !reader.atEnd {
            guard let field = reader.field() else { throw fail("malformed BundleEntryProto") }
            switch field.number {
            case 1: type = field.value
            case 2:
                guard let bytes = field.bytes else { throw fail("malformed shape") }
                var dims = ProtobufReader(bytes)
                while !dims.atEnd {
                    guard let dim = dims.field() else { throw fail("malformed shape") }
                    if dim.number == 3, dim.value != 0 { throw fail("unknown rank") }
                    guard dim.number == 2, let dimBytes = dim.bytes else { continue }
                    var sizeReader = ProtobufReader(dimBytes)
                    var extent: Int64 = 0
                    while !sizeReader.atEnd {
                        guard let part = sizeReader.field() else { throw fail("malformed dimension") }
                        if part.number == 1 { extent = Int64(bitPattern: part.value) }
                    }
                    guard extent >= 0, shape.count < 8 else { throw fail("a negative dimension or more than 8 dimensions") }
                    shape.append(Int(extent))
                }
            case 3: shard = Int(clamping: field.value)
            case 4: offset = Int(clamping: field.value)
            case 5: size = Int(clamping: field.value)
            case 6: crc = UInt32(truncatingIfNeeded: field.value)
            case 7: throw TensorFormatError.unsupported(path: indexPath, reason: "tensor '\(name)' is a partitioned variable (saved in slices)")
            default: continue
            }
        }
        guard dtypes[type] != nil || type == stringType else {
            throw TensorFormatError.unsupported(path: indexPath, reason: "tensor '\(name)' has TensorFlow dtype \(type), which bertinspect does not read")
        }
        return (type, dtypes[type], shape, shard, offset, size, crc)
    }

    /// Variables a training run saves beside the weights: optimizer slots and counters.
    static func isTrainingState(_ name: String) -> Bool {
        let components = name.split(separator: "/")
        if components.contains(where: { ["adam_m", "adam_v", "AdamWeightDecayOptimizer", "AdamWeightDecayOptimizer_1", "global_step", ".OPTIMIZER_SLOT"].contains($0) }) {
            return true
        }
        return name.hasPrefix("optimizer/") || name.hasPrefix("save_counter/")
    }

    /// A Google BERT variable name as transformers' `load_tf_weights_in_bert` maps it, spelled as the HF TensorFlow
    /// name of the same parameter; `transposed` for the `[out, in]` matrices Google stores untransposed.
    static func googleName(_ name: String) -> (name: String, transposed: Bool)? {
        switch name {
        case "bert/embeddings/word_embeddings": return ("bert/embeddings/word_embeddings/weight", false)
        case "bert/embeddings/position_embeddings": return ("bert/embeddings/position_embeddings/embeddings", false)
        case "bert/embeddings/token_type_embeddings": return ("bert/embeddings/token_type_embeddings/embeddings", false)
        case "cls/predictions/output_bias": return ("mlm___cls/predictions/bias", false)
        case "cls/seq_relationship/output_weights": return ("nsp___cls/seq_relationship/kernel", true)
        case "cls/seq_relationship/output_bias": return ("nsp___cls/seq_relationship/bias", false)
        case "output_weights": return ("classifier/kernel", true)
        case "output_bias": return ("classifier/bias", false)
        default: break
        }
        if name.hasPrefix("cls/predictions/") { return ("mlm___cls/" + name.dropFirst(4), false) }
        guard name.hasPrefix("bert/") else { return nil }
        let components = name.split(separator: "/").map { component -> String in
            if component.hasPrefix("layer_"), let number = Int(component.dropFirst(6)) { return "layer_._\(number)" }
            return String(component)
        }
        return (components.joined(separator: "/"), false)
    }

    /// The transformers TF name of a TensorFlow Model Garden BERT variable (`official.nlp.modeling` `BertEncoder`,
    /// `BertClassifier`), by its full name, with its shape as a 2-D Dense kernel: the attention's EinsumDense kernels
    /// `[hidden, heads, head_size]` and `[heads, head_size, hidden]` and biases `[heads, head_size]` hold their values in
    /// the row-major order of `[in, out]` / `[out]`, so only the shape changes.
    static func gardenName(_ full: String, shape: [Int]) -> (name: String, shape: [Int])? {
        let flat: [Int] = switch shape.count {
        case 3 where full.hasSuffix("/attention_output/kernel"): [shape[0] * shape[1], shape[2]]
        case 3: [shape[0], shape[1] * shape[2]]
        case 2 where full.hasSuffix("/bias"): [shape[0] * shape[1]]
        default: shape
        }
        switch full {
        case "word_embeddings/embeddings": return ("bert/embeddings/word_embeddings/weight", flat)
        case "position_embedding/embeddings": return ("bert/embeddings/position_embeddings/embeddings", flat)
        case "type_embeddings/embeddings": return ("bert/embeddings/token_type_embeddings/embeddings", flat)
        case "embeddings/layer_norm/gamma", "embeddings/layer_norm/beta":
            return ("bert/embeddings/LayerNorm/" + full.split(separator: "/").last!, flat)
        case "pooler_transform/kernel", "pooler_transform/bias":
            return ("bert/pooler/dense/" + full.split(separator: "/").last!, flat)
        case "sentence_prediction/logits/kernel", "sentence_prediction/logits/bias":
            return ("classifier/" + full.split(separator: "/").last!, flat)
        default: break
        }
        let parts = full.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "transformer", parts[1].hasPrefix("layer_"), let layer = Int(parts[1].dropFirst(6)) else { return nil }
        let base = "bert/encoder/layer_._\(layer)/"
        let variable = parts.last!
        let module: String? = switch parts[2..<(parts.count - 1)].joined(separator: "/") {
        case "self_attention/query": "attention/self/query"
        case "self_attention/key": "attention/self/key"
        case "self_attention/value": "attention/self/value"
        case "self_attention/attention_output": "attention/output/dense"
        case "self_attention_layer_norm": "attention/output/LayerNorm"
        case "intermediate": "intermediate/dense"
        case "output": "output/dense"
        case "output_layer_norm": "output/LayerNorm"
        default: nil
        }
        return module.map { (base + $0 + "/" + variable, flat) }
    }

    /// Checkpoint key → variable full name, from a serialized `TrackableObjectGraph` stored as a DT_STRING scalar
    /// (`varint64 length`, a masked CRC of the lengths, then the bytes).
    public static func objectGraphNames(_ tensor: UnsafeRawBufferPointer) -> [String: String]? {
        var reader = ProtobufReader(tensor)
        guard let length = reader.varint(), reader.position + 4 <= tensor.count, length <= UInt64(tensor.count - reader.position - 4) else { return nil }
        let start = reader.position + 4
        var graph = ProtobufReader(tensor, from: start, to: start + Int(length))
        var names: [String: String] = [:]
        while !graph.atEnd {
            guard let node = graph.field() else { return nil }
            guard node.number == 1, let nodeBytes = node.bytes else { continue }
            var object = ProtobufReader(nodeBytes)
            while !object.atEnd {
                guard let attribute = object.field() else { return nil }
                guard attribute.number == 2, let serialized = attribute.bytes else { continue }
                var fields = ProtobufReader(serialized)
                var fullName = "", key = ""
                while !fields.atEnd {
                    guard let field = fields.field() else { return nil }
                    if field.number == 2, let text = field.bytes { fullName = String(decoding: text, as: UTF8.self) }
                    if field.number == 3, let text = field.bytes { key = String(decoding: text, as: UTF8.self) }
                }
                if !key.isEmpty { names[key] = fullName }
            }
        }
        return names
    }

    private static func fiveDigits(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}
