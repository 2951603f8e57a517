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
    }
}
