import Testing
import FixtureSupport
@testable import TensorFormats

@Suite("TensorFlow checkpoints (index SSTable + data shards)")
struct TensorFlowCheckpointTests {
    static let entries: JSONValue? = (try? Fixtures.reference("tf-ckpt"))?["entries"]
    static let names: [String] = entries?.objectValue?.map(\.0) ?? []

    static func dtype(_ tensorflow: String?) -> DType? {
        ["float32": .f32, "float64": .f64, "int64": .i64, "int32": .i32, "float16": .f16, "bfloat16": .bf16][tensorflow ?? ""]
    }

    @Test("the checkpoints TensorFlow wrote are there (Google pretraining / classifier / bare, Keras save_weights, tf.train.Checkpoint)")
    func corpus() {
        #expect(Self.names.count >= 5)
    }

    @Test("every key tf.train.list_variables lists is a tensor (same dtype, shape, bytes) or listed as not read", arguments: names)
    func variables(entry: String) throws {
        let reference = try #require(Self.entries?[entry])
        let prefix = Fixtures.path("tf-ckpt/" + (reference["prefix"]?.stringValue ?? ""))
        let store = try TensorFlowCheckpoint(prefix: prefix)
        let variables = try #require(reference["variables"]?.arrayValue)
        let graphKeys = variables.filter { $0["name"]?.stringValue == "_CHECKPOINTABLE_OBJECT_GRAPH" }.count
        #expect(store.tensors.count + store.unlistedNames.count + graphKeys == variables.count)
        var byOriginal: [String: StoredTensor] = [:]
        for tensor in store.tensors { byOriginal[store.originalNames[tensor.name] ?? ""] = tensor }
        for variable in variables {
            let name = try #require(variable["name"]?.stringValue)
            guard let tensor = byOriginal[name] else {
                #expect(store.unlistedNames.contains(name) || name == "_CHECKPOINTABLE_OBJECT_GRAPH", "\(entry): \(name) is neither read nor listed")
                continue
            }
            #expect(tensor.dtype == Self.dtype(variable["dtype"]?.stringValue), "\(entry): \(name)")
            let shape = variable["shape"]?.arrayValue?.compactMap(\.intValue) ?? []
            if let fullName = variable["full_name"]?.stringValue {
                #expect(tensor.name == fullName, "\(entry): TF2 key \(name) should be named by its full name")
            }
            if tensor.shape == shape {
                #expect(try digest(store, tensor) == variable["sha256"]?.stringValue, "\(entry): \(name)")
            } else {
                // Google's untransposed output weights, handed out [in, out] like every kernel.
                #expect(tensor.shape == shape.reversed() && (name.hasSuffix("output_weights")), "\(entry): \(name) \(tensor.shape) vs \(shape)")
            }
        }
        if let slots = reference["counts"]?["adam_slots"]?.intValue {
            #expect(store.unlistedNames.filter { $0.hasSuffix("/adam_m") || $0.hasSuffix("/adam_v") }.count == slots)
            #expect(store.unlistedNames.contains("global_step"))
        }
    }

    @Test("PATH may be the prefix, its .index file or the folder; a data file alone names its prefix")
    func paths() throws {
        let folder = Fixtures.path("tf-ckpt/google-classifier")
        for path in [folder, folder + "/model.ckpt-1000", folder + "/model.ckpt-1000.index"] {
            let checkpoint = try Checkpoint.open(path, formats: [])
            #expect(checkpoint.weightsPath == folder + "/model.ckpt-1000.index", "\(path)")
            #expect(checkpoint.configPath == folder + "/bert_config.json")
        }
        let data = folder + "/model.ckpt-1000.data-00000-of-00001"
        #expect(throws: TensorFormatError.unsupported(path: data, reason: "this is a data file of the TensorFlow checkpoint \(folder)/model.ckpt-1000; pass its prefix \(folder)/model.ckpt-1000 or \(folder)/model.ckpt-1000.index")) {
            try Checkpoint.open(data, formats: [])
        }
    }

    /// Each damaged copy of `valid` and the words its error must contain (nil: it reads, as TensorFlow reads it).
    static let hostile: [String: String?] = [
        "valid": nil, "multi-block-valid": nil, "metaindex-block-crc": nil,
        "bad-magic": "bad magic number", "truncated-index": "bad magic number",
        "short-index": "too short for a table footer",
        "index-block-crc": "the index block fails its CRC-32C check",
        "data-block-crc": "the data block at offset 0 fails its CRC-32C check",
        "data-block-content": "the data block at offset 0 fails its CRC-32C check",
        "snappy-type": "is snappy-compressed", "snappy-valid": "is snappy-compressed",
        "unknown-compression": "compressed with type 2",
        "offset-past-end": "tensor 'global_step' (8 bytes at offset 4488 of shard 0) lies outside its data file",
        "data-truncated": "lies outside its data file",
        "size-mismatch": "tensor 'bert/pooler/dense/kernel' holds 4092 bytes, not what its dtype and shape [32, 32] need",
        "shape-mismatch": "not what its dtype and shape [32, 31] need",
        "data-missing": "shard 'data-missing.data-00000-of-00001' named in the index does not exist",
        "tensor-bytes-flipped": "tensor 'bert/pooler/dense/kernel': its data fails its CRC-32C check",
        "entry-crc-wrong": "tensor 'bert/pooler/dense/kernel': its data fails its CRC-32C check",
    ]

    @Test("every damaged index or data file is refused with its own reason; the copies TensorFlow reads read the same bytes",
          arguments: (try? MappedFile.withContents(of: Fixtures.path("tf-ckpt-hostile/cases.json")) { try JSONParser.parse($0) })?["cases"]?.objectValue?.map(\.0) ?? [])
    func hostile(name: String) throws {
        let prefix = Fixtures.path("tf-ckpt-hostile/" + name)
        let expected = try #require(Self.hostile[name], "\(name) has no expectation")
        do {
            let store = try TensorFlowCheckpoint(prefix: prefix)
            let valid = try TensorFlowCheckpoint(prefix: Fixtures.path("tf-ckpt-hostile/valid"))
            for tensor in store.tensors {
                let reference = try #require(valid.tensor(named: tensor.name))
                #expect(try digest(store, tensor) == digest(valid, reference), "\(name): \(tensor.name)")
            }
            #expect(expected == nil, "\(name) was read")
        } catch let error as TensorFormatError {
            let phrase = try #require(expected, "\(name): \(error.description)")
            #expect(error.description.contains(phrase), "\(name): \(error.description)")
        }
    }
}
