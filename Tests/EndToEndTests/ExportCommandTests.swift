import Foundation
import Testing
import FixtureSupport
import BERTGraph
import TensorFormats

/// The framework-written safetensors file each ONNX file's weights must read back as.
private func reference(_ folder: String) throws -> SafetensorsFile {
    try SafetensorsFile(path: Fixtures.path(folder + "/model.safetensors"))
}

/// Checks that every tensor PyTorch saved in `source` (the buffer `position_ids` aside) is in `store` under the same
/// name, with the same shape and the same bytes.
private func expectSameTensors(_ store: any TensorStore, as source: SafetensorsFile) throws {
    for tensor in source.tensors where !tensor.name.hasSuffix("position_ids") {
        let read = try #require(store.tensors.first { $0.name == tensor.name }, "\(tensor.name) is missing")
        #expect(read.shape == tensor.shape, "\(tensor.name)")
        #expect(read.dtype == tensor.dtype, "\(tensor.name)")
        #expect(try digest(store, read) == digest(source, tensor), "\(tensor.name)")
    }
}

@Suite("ONNX: reading torch's exports and bertinspect's, refusing hostile files")
struct ONNXReadTests {
    @Test("torch.onnx.export's initializers read back as the state dict torch saved (transposed MatMul weights, shared and Identity-aliased initializers, dropped zero biases)",
          arguments: [("torchscript", "pt-seqcls"), ("dynamo", "pt-seqcls"), ("base", "pt-base"),
                      ("fresh-torchscript", "onnx-torch/fresh-hf"), ("fresh-dynamo", "onnx-torch/fresh-hf")])
    func torchExports(export: String, source: String) throws {
        let store = try ONNXFile(path: Fixtures.path("onnx-torch/\(export)/model.onnx"))
        try expectSameTensors(store, as: try reference(source))
    }

    @Test("summary of a torch export counts the parameters PyTorch counts and names the graph")
    func torchExportSummary() throws {
        let result = try bertinspect("summary", Fixtures.path("onnx-torch/dynamo/model.onnx"), "--json")
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        let expected = try Fixtures.reference("pt-seqcls")["parameters"]?["total"]?.intValue
        #expect(json["parameters"]?["total"]?.intValue == expected)
        #expect(json["architecture"]?.stringValue == "BertForSequenceClassification")
        let reference = try MappedFile.withContents(of: Fixtures.path("onnx-torch/dynamo/reference.json")) { try JSONParser.parse($0) }
        #expect(json["graph"]?["nodes"]?.stringValue == reference["node_count"].map { "\($0.intValue ?? -1)" })
        #expect(json["graph"]?["opsets"]?.stringValue?.contains("ai.onnx 20") == true)
    }

    @Test("a hostile ONNX file is refused (exit 3) with one line naming the file and the problem", arguments: [
        ("ext-parent-dir", "leaves the model's folder"), ("ext-absolute", "is an absolute path"),
        ("ext-symlink-out", "passes through a symbolic link ('link-out.bin')"),
        ("ext-parent-symlink", "passes through a symbolic link ('link-dir')"), ("ext-dev-zero", "is an absolute path"),
        ("ext-length-mismatch", "external data length 12 is not the 16 bytes"), ("ext-negative-offset", "offset '-16' is not a non-negative integer"),
        ("ext-huge-offset", "runs past the end of 'weights.bin'"), ("ext-beyond-eof", "(offset 48, 32 bytes) runs past the end"),
        ("ext-missing-file", "'missing.bin' does not exist"), ("ext-no-location", "names no location"),
        ("truncated-varint", "not a valid ONNX model"), ("length-past-eof", "not a valid ONNX model"),
        ("length-past-parent", "not a valid ONNX model"), ("varint-11-bytes", "not a valid ONNX model"),
        ("nesting-200", "nested more than 16 levels deep"), ("dims-negative", "tensor 'W' has an invalid shape"),
        ("dims-product-wraps", "tensor 'W' has an invalid shape"), ("raw-data-mismatch", "occupies 12 bytes but its dtype and shape need 16"),
        ("duplicate-initializer", "tensor 'W' is stored more than once"), ("dtype-unknown", "ONNX data type 999"),
    ])
    func hostile(name: String, problem: String) throws {
        let path = Fixtures.path("onnx-hostile/\(name).onnx")
        let result = try bertinspect("summary", path)
        #expect(result.code == 3)
        #expect(result.stderr.contains(path), "\(result.stderr)")
        #expect(result.stderr.contains(problem), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("an ONNX model that holds no BERT weights is read and said to hold none")
    func notBERT() throws {
        let path = Fixtures.path("foreign/model.onnx")
        let result = try bertinspect("summary", path)
        #expect(result.code == 3)
        #expect(result.stderr.contains("\(path): unsupported checkpoint: no BERT word embeddings"), "\(result.stderr)")
    }

    @Test("freeze refuses an ONNX model (no place for a frozen record) and says to convert first; nothing is written")
    func freezeRefused() throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "frozen.onnx")
        let path = Fixtures.path("onnx-torch/torchscript/model.onnx")
        let result = try bertinspect("freeze", path, "--layers", "bert", "-o", out)
        #expect(result.code == 3)
        #expect(result.stderr.contains("an ONNX model cannot record frozen layers"), "\(result.stderr)")
        #expect(result.stderr.contains("bertinspect convert \(path) --to safetensors"), "\(result.stderr)")
        #expect(!FilePath.isRegularFile(out))
    }

    @Test("the valid controls beside the hostile files are read, inline and external")
    func controls() throws {
        for name in ["control-inline", "control-external"] {
            let store = try ONNXFile(path: Fixtures.path("onnx-hostile/\(name).onnx"))
            #expect(store.tensors.isEmpty, "W is a graph constant, not a state-dict name")
            #expect(store.unlistedNames == ["W"])
        }
    }
}

@Suite("convert --to onnx")
struct ONNXExportTests {
    @Test("every parameter becomes an initializer under its HF name, in PyTorch's layout, readable back exactly",
          arguments: [("tf-seqcls", "pt-seqcls"), ("pt-base", "pt-base"), ("tf-pretraining", "pt-pretraining")], ["standard", "fused"])
    func initializers(source: (String, String), graph: String) throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "model.onnx")
        let result = try bertinspect("convert", Fixtures.path(source.0), "--to", "onnx", "--graph", graph, "-o", out)
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        try expectSameTensors(try ONNXFile(path: out), as: try reference(source.1))
        #expect(!FilePath.isRegularFile(FilePath.join(work, "config.json")), "a file OUT writes nothing beside it")
    }

    @Test("--dtype f16 stores the weights as PyTorch casts them to float16")
    func float16() throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "model.onnx")
        let result = try bertinspect("convert", Fixtures.path("tf-seqcls"), "--to", "onnx", "--dtype", "f16", "-o", out)
        #expect(result.code == 0, "\(result.stderr)")
        try expectSameTensors(try ONNXFile(path: out), as: try reference("pt-f16"))
    }

    @Test("--external-data writes OUT.data with 4 KiB-aligned tensors that read back exactly; a folder OUT gets the companions")
    func externalData() throws {
        let work = try temporaryFolder()
        let folder = FilePath.join(work, "onnx")
        let result = try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "onnx", "--external-data", "-o", folder + "/")
        #expect(result.code == 0, "\(result.stderr)")
        for name in ["model.onnx", "model.onnx.data", "config.json", "vocab.txt", "tokenizer_config.json"] {
            #expect(FilePath.isRegularFile(FilePath.join(folder, name)), "\(name)")
        }
        try expectSameTensors(try ONNXFile(path: FilePath.join(folder, "model.onnx")), as: try reference("pt-seqcls"))
        let summary = try bertinspect("summary", folder, "--json")
        #expect(try JSONParser.parse(summary.stdout)["weights_file"]?.stringValue == FilePath.join(folder, "model.onnx"))
    }

    @Test("an existing OUT is kept without --force (exit 5); a wrong suffix and a GGUF-only dtype are usage errors")
    func outputRules() throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "model.onnx")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        let exists = try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "onnx", "-o", out)
        #expect(exists.code == 5)
        #expect(exists.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep")
        let suffix = try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "onnx", "-o", FilePath.join(work, "x.gguf"))
        #expect(suffix.code == 2)
        #expect(suffix.stderr.contains("does not end in .onnx"))
        let dtype = try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "onnx", "--dtype", "q8_0", "-o", FilePath.join(work, "y.onnx"))
        #expect(dtype.code == 2)
        #expect(dtype.stderr.contains("--to onnx writes f32 or f16 weights"))
        let long = try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "onnx", "--max-length", "65", "-o", FilePath.join(work, "z.onnx"))
        #expect(long.code == 2)
        #expect(long.stderr.contains("--max-length 65 is more than this model's max_position_embeddings (64)"), "\(long.stderr)")
        #expect(!FilePath.isRegularFile(FilePath.join(work, "z.onnx")))
    }

    @Test("what the fused operators cannot express exits 3 naming the weights file and the setting; nothing is written")
    func fusedRelu() throws {
        let work = try temporaryFolder()
        for name in ["model.safetensors", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("pt-seqcls/" + name), toPath: FilePath.join(work, name))
        }
        // The fixture's own config.json with ReLU as the hidden activation (a configuration transformers accepts).
        var config = try String(contentsOfFile: Fixtures.path("pt-seqcls/config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"relu\"")
        #expect(config.contains("\"relu\""))
        try config.write(toFile: FilePath.join(work, "config.json"), atomically: true, encoding: .utf8)
        let out = FilePath.join(work, "out.onnx")
        let result = try bertinspect("convert", work, "--to", "onnx", "--graph", "fused", "-o", out)
        #expect(result.code == 3)
        #expect(result.stderr.contains("\(FilePath.join(work, "model.safetensors")): unsupported checkpoint: cannot be exported to ONNX: hidden_act 'relu' in --graph fused"), "\(result.stderr)")
        #expect(!FilePath.isRegularFile(out))
        let standard = try bertinspect("convert", work, "--to", "onnx", "-o", out)
        #expect(standard.code == 0, "\(standard.stderr)")
    }

    @Test("--max-length N fixes the sequence axis of every input and output; without it the axis is free")
    func staticShapes() throws {
        let work = try temporaryFolder()
        for (extra, sequence) in [([] as [String], "sequence"), (["--max-length", "8"], "8")] {
            let out = FilePath.join(work, "m\(sequence).onnx")
            let result = try bertinspect(arguments: ["convert", Fixtures.path("pt-base"), "--to", "onnx", "-o", out] + extra)
            #expect(result.code == 0, "\(result.stderr)")
            let graph = try #require(try JSONParser.parse(try bertinspect("summary", out, "--json").stdout)["graph"])
            #expect(graph["inputs"]?.stringValue == "input_ids i64 [batch, \(sequence)]; attention_mask i64 [batch, \(sequence)]; token_type_ids i64 [batch, \(sequence)]")
            #expect(graph["outputs"]?.stringValue == "last_hidden_state f32 [batch, \(sequence), 32]; pooler_output f32 [batch, 32]")
        }
    }
}

/// A GGUF file as the test reads it (ggml `docs/gguf.md`, v3): metadata values rendered as text with their type,
/// tensor infos, and each tensor's bytes. Only for comparing two files; it trusts its input.
private struct GGUFFile {
    var metadata: [String: String] = [:]
    var tensors: [String: (type: UInt32, ne: [UInt64], bytes: [UInt8])] = [:]
    var order: [String] = []

    init(path: String) throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var at = 0
        func u32() -> UInt32 { defer { at += 4 }; return data[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64() -> UInt64 { defer { at += 8 }; return data[at..<(at + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func string() -> String {
            let count = Int(u64())
            defer { at += count }
            return String(decoding: data[at..<(at + count)], as: UTF8.self)
        }
        func value(_ type: UInt32) -> String {
            switch type {
            case 0, 1: at += 1; return "\(type):\(data[at - 1])"
            case 2, 3: at += 2; return "\(type):\(data[at - 2]),\(data[at - 1])"
            case 4, 5, 6: return "\(type):\(u32())"
            case 7: at += 1; return "bool:\(data[at - 1])"
            case 8: return "string:\(string())"
            case 9:
                let element = u32()
                let count = Int(u64())
                return "array<\(element)>:" + (0..<count).map { _ in value(element) }.joined(separator: "|")
            case 10, 11, 12: return "\(type):\(u64())"
            default: return "?"
            }
        }
        #expect(Array(data[0..<4]) == Array("GGUF".utf8))
        at = 4
        #expect(u32() == 3)
        let tensorCount = Int(u64())
        let keyCount = Int(u64())
        for _ in 0..<keyCount {
            let key = string()
            metadata[key] = value(u32())
        }
        var infos: [(String, UInt32, [UInt64], Int)] = []
        for _ in 0..<tensorCount {
            let name = string()
            let dims = Int(u32())
            let ne = (0..<dims).map { _ in u64() }
            let type = u32()
            infos.append((name, type, ne, Int(u64())))
        }
        let start = (at + 31) / 32 * 32
        for (index, info) in infos.enumerated() {
            let end = index + 1 < infos.count ? infos[index + 1].3 : data.count - start
            var bytes = Array(data[(start + info.3)..<(start + end)])
            // Trailing alignment padding is not part of the tensor: compare the payload only.
            let elements = info.2.reduce(1, *)
            let size = info.1 == 0 ? Int(elements) * 4 : info.1 == 8 ? Int(elements) / 32 * 34 : Int(elements) * 2
            bytes = Array(bytes.prefix(size))
            tensors[info.0] = (info.1, info.2, bytes)
            order.append(info.0)
        }
    }
}

@Suite("convert --to gguf")
struct GGUFExportTests {
    /// Keys that describe rather than define the model: the converter derives them from the folder's name.
    static let descriptive: Set<String> = ["general.name", "general.size_label"]

    @Test("writes what llama.cpp's own converter writes: every tensor with the same type, shape and bytes (Q8_0 blocks included), every key with the same value",
          arguments: [("pt-seqcls", "f32"), ("pt-seqcls", "q8_0"), ("pt-base", "f16")])
    func matchesLlamaCpp(source: String, dtype: String) throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "model.gguf")
        let result = try bertinspect("convert", Fixtures.path(source), "--to", "gguf", "--dtype", dtype, "-o", out)
        #expect(result.code == 0, "\(result.stderr)")
        let ours = try GGUFFile(path: out)
        let reference = try GGUFFile(path: Fixtures.path("gguf-llamacpp/\(source)-\(dtype).gguf"))
        #expect(reference.order.count >= 37 && reference.metadata.count >= 19, "the reference file was read")
        for name in reference.order {
            let want = try #require(reference.tensors[name])
            let got = try #require(ours.tensors[name], "\(name) missing")
            #expect(got.type == want.type, "\(name)")
            #expect(got.ne == want.ne, "\(name)")
            #expect(got.bytes == want.bytes, "\(name)")
        }
        for (key, value) in reference.metadata where !Self.descriptive.contains(key) {
            #expect(ours.metadata[key] == value, "\(key)")
        }
        // The one addition: a sequence classifier's pooler, as `cls`, which llama.cpp's RANK pooling applies.
        let extra = Set(ours.order).subtracting(reference.order)
        #expect(extra == (source == "pt-seqcls" ? ["cls.weight", "cls.bias"] : []))
    }

    @Test("the notebook's CNN heads cannot be GGUF: exit 3 naming the Conv1D layer, nothing written")
    func cnnRefused() throws {
        let work = try temporaryFolder()
        let out = FilePath.join(work, "model.gguf")
        let result = try bertinspect("convert", Fixtures.path("keras-bert-cnn-functional"), "--to", "gguf", "-o", out)
        #expect(result.code == 3)
        #expect(result.stderr.contains("no Conv1D layer for the CNN head ('conv1d"), "\(result.stderr)")
        #expect(!FilePath.isRegularFile(out))
    }
}
