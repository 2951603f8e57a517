#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import BERTGraph
import TensorFormats

/// config.json and tokenizer_config.json beside a small real checkpoint: the model folder is opened and loaded as
/// `summary` does, with the fuzzed bytes as config.json (first half) and tokenizer_config.json (second half).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let folder = "/dev/shm/bertinspect-fuzz-config-\(getpid())"
    mkdir(folder, 0o700)
    let weights = folder + "/model.safetensors"
    if access(weights, F_OK) != 0 { writeCheckpoint(weights) }
    let half = count / 2
    writeFile(folder + "/config.json", data, half)
    writeFile(folder + "/tokenizer_config.json", data + half, count - half)
    if let checkpoint = try? Checkpoint.open(folder, formats: [SafetensorsFormat()]), let model = try? ModelLoader.load(checkpoint) {
        _ = ModelSummary(model: model, checkpoint: checkpoint).json(includeTensors: false).serialized()
        _ = ConfigWriter.configJSON(for: model)
    }
    return 0
}

/// A one-layer BertModel (hidden 4) in PyTorch names, zeros; enough for the loader to build the whole graph.
func writeCheckpoint(_ path: String) {
    let h = 4, v = 10, p = 8, i = 6
    var shapes: [(String, [Int])] = [("embeddings.word_embeddings.weight", [v, h]), ("embeddings.position_embeddings.weight", [p, h]),
                                     ("embeddings.token_type_embeddings.weight", [2, h]), ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h])]
    for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
        shapes += [("encoder.layer.0.\(name).weight", [h, h]), ("encoder.layer.0.\(name).bias", [h])]
    }
    shapes += [("encoder.layer.0.attention.output.LayerNorm.weight", [h]), ("encoder.layer.0.attention.output.LayerNorm.bias", [h]),
               ("encoder.layer.0.intermediate.dense.weight", [i, h]), ("encoder.layer.0.intermediate.dense.bias", [i]),
               ("encoder.layer.0.output.dense.weight", [h, i]), ("encoder.layer.0.output.dense.bias", [h]),
               ("encoder.layer.0.output.LayerNorm.weight", [h]), ("encoder.layer.0.output.LayerNorm.bias", [h])]
    var members: [(String, JSONValue)] = []
    var offset = 0
    for (name, shape) in shapes {
        let size = shape.reduce(4, *)
        members.append((name, .object([("dtype", .string("F32")), ("shape", .array(shape.map { .integer(Int64($0)) })),
                                       ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + size))]))])))
        offset += size
    }
    var header = Array(JSONValue.object(members).serialized().utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    let bytes = (0..<8).map { UInt8((UInt64(header.count) >> (8 * UInt64($0))) & 0xFF) } + header + [UInt8](repeating: 0, count: offset)
    bytes.withUnsafeBufferPointer { writeFile(path, $0.baseAddress!, $0.count) }
}

runFuzzer(fuzzOne)
