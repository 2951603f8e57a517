import Foundation
import Testing
import FixtureSupport
import BERTGraph
import HDF5Formats
import TensorFormats

let formats: [any CheckpointFormat] = [SafetensorsFormat(), HDF5Format(), KerasArchiveFormat(), PyTorchFormat()]

/// A fresh temporary folder for one test.
func temporaryFolder() throws -> String {
    let path = FilePath.join(NSTemporaryDirectory(), "bertinspect-test-\(UUID().uuidString)")
    try FilePath.makeDirectories(path)
    return path
}

/// Loads a checkpoint and returns each parameter's canonical name with its dtype and bytes in PyTorch layout
/// (TF kernels moved back by element, never by value).
func parameterBytes(_ path: String) throws -> [String: (DType, [UInt8])] {
    let checkpoint = try Checkpoint.open(path, formats: formats)
    let model = try ModelLoader.load(checkpoint)
    var result: [String: (DType, [UInt8])] = [:]
    for parameter in model.parameters {
        let stored = parameter.stored
        // The layout rule is the library's; the tests that use these bytes compare them with a file PyTorch wrote.
        let layout = model.naming.layoutChange(for: parameter.spec, to: NamingScheme.pytorch)
        var bytes = [UInt8](repeating: 0, count: stored.byteCount)
        try checkpoint.store.withBytes(of: stored) { source in
            bytes.withUnsafeMutableBytes { _ = transformTensor(source, from: stored.dtype, shape: stored.shape, layout: layout, to: stored.dtype, into: $0) }
        }
        result[parameter.spec.name] = (stored.dtype, bytes)
    }
    return result
}

/// Every fixture with the format it is stored in.
let convertibleFixtures: [(String, String)] = [
    ("tf-seqcls", "h5"), ("tf-seqcls-fresh", "h5"), ("tf-base", "h5"), ("tf-pretraining", "h5"), ("tf-tokcls", "h5"),
    ("tf-sharded", "h5"), ("tf-safetensors", "safetensors"), ("pt-seqcls", "safetensors"), ("pt-base", "safetensors"),
    ("pt-sharded", "safetensors"), ("pt-f16", "safetensors"), ("pt-bf16", "safetensors"), ("pt-pretraining", "safetensors"),
    ("keras-cnn-subclassed", "h5"), ("keras-cnn-functional", "h5"), ("keras-bert-cnn-subclassed", "h5"),
    ("keras-bert-cnn-functional", "h5"), ("keras-full", "h5"), ("keras3", "h5"),
]

@Suite("bertinspect convert")
struct ConvertCommandTests {
    @Test("a round trip through the other format gives bit-identical tensors", arguments: convertibleFixtures)
    func roundTrip(folder: String, format: String) throws {
        let work = try temporaryFolder()
        let other = format == "h5" ? "safetensors" : "h5"
        let there = try bertinspect("convert", Fixtures.path(folder), "--to", other, "-o", work + "/there/")
        #expect(there.code == 0, "\(there.stderr)")
        let back = try bertinspect("convert", work + "/there", "--to", format, "-o", work + "/back/")
        #expect(back.code == 0, "\(back.stderr)")
        let original = try parameterBytes(Fixtures.path(folder))
        let final = try parameterBytes(work + "/back")
        #expect(Set(original.keys) == Set(final.keys))
        for (name, (dtype, bytes)) in original {
            guard let (finalType, finalBytes) = final[name] else { continue }
            if dtype == .bf16 {
                // HDF5 has no bf16 Keras reads: widened to f32 on the way, values kept exactly.
                let a = bytes.withUnsafeBytes { decodeFloats($0, dtype: .bf16) }
                let b = finalBytes.withUnsafeBytes { decodeFloats($0, dtype: finalType) }
                #expect(a == b, "\(name)")
            } else {
                #expect(finalType == dtype && finalBytes == bytes, "\(name)")
            }
        }
    }

    @Test("safetensors output carries HF PyTorch names, format pt and provenance")
    func safetensorsOutput() throws {
        let work = try temporaryFolder()
        let result = try bertinspect("convert", Fixtures.path("tf-seqcls/tf_model.h5"), "--to", "safetensors", "-o", work + "/")
        #expect(result.code == 0)
        let file = try SafetensorsFile(path: work + "/model.safetensors")
        #expect(file.metadata["format"] == "pt")
        #expect(file.metadata["bertinspect.source"] == "tf_model.h5")
        #expect(file.metadata["bertinspect.source_sha256"]?.count == 64)
        #expect(file.tensor(named: "bert.encoder.layer.1.attention.self.query.weight") != nil)
        let config = try #require(try Fixtures.reference("tf-seqcls")["config"])
        #expect(file.tensor(named: "classifier.weight")?.shape == [config["num_labels"]?.intValue, config["hidden_size"]?.intValue].compactMap { $0 })
        for name in ["config.json", "vocab.txt", "tokenizer_config.json"] {
            #expect(FilePath.isRegularFile(work + "/" + name), "\(name) not copied")
        }
    }

    @Test("--dtype f16 and bf16 give, bit for bit, the tensors PyTorch's own .to(torch.float16 / bfloat16) wrote",
          arguments: [("f16", "pt-f16"), ("bf16", "pt-bf16")])
    func narrowing(dtype: String, reference: String) throws {
        let work = try temporaryFolder()
        #expect(try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "--dtype", dtype, "-o", work + "/").code == 0)
        let narrowed = try SafetensorsFile(path: work + "/model.safetensors")
        let torch = try SafetensorsFile(path: Fixtures.path(reference + "/model.safetensors"))
        #expect(narrowed.tensors.count == torch.tensors.count)
        for tensor in torch.tensors {
            let ours = try #require(narrowed.tensor(named: tensor.name), "\(tensor.name)")
            #expect(ours.dtype == tensor.dtype && ours.shape == tensor.shape)
            let a = try narrowed.withBytes(of: ours) { Array($0) }, b = try torch.withBytes(of: tensor) { Array($0) }
            #expect(a == b, "\(tensor.name)")
        }
    }

    @Test("--max-shard-size writes shards and an index that transformers' layout expects")
    func shards() throws {
        let work = try temporaryFolder()
        let result = try bertinspect("convert", Fixtures.path("tf-seqcls"), "--to", "safetensors", "--max-shard-size", "100KB", "-o", work + "/")
        #expect(result.code == 0, "\(result.stderr)")
        let index = try ShardIndex(path: work + "/model.safetensors.index.json")
        #expect(index.shards.count >= 2, "the 100KB limit splits the 321 KB model")
        // Shards hold exactly the tensors of a single-file conversion, byte for byte.
        #expect(try bertinspect("convert", Fixtures.path("tf-seqcls"), "--to", "safetensors", "-o", work + "/single/").code == 0)
        let single = try SafetensorsFile(path: work + "/single/model.safetensors")
        let sharded = try Checkpoint.openStore(index.path, formats: [SafetensorsFormat()])
        #expect(sharded.tensors.map(\.name).sorted() == single.tensors.map(\.name).sorted())
        for tensor in single.tensors {
            let other = try #require(sharded.tensor(named: tensor.name))
            #expect(try sharded.withBytes(of: other) { Array($0) } == single.withBytes(of: tensor) { Array($0) }, "\(tensor.name)")
        }
        for shard in index.shards {
            let file = try SafetensorsFile(path: work + "/" + shard)
            #expect(file.tensors.count == 1 || file.tensors.reduce(0) { $0 + $1.byteCount } <= 100_000)
        }
        let shardedCount = try parameterBytes(work).count
        #expect(try shardedCount == parameterBytes(Fixtures.path("tf-seqcls")).count)
    }

    @Test("an existing output is never overwritten without --force, and the input never is")
    func noOverwrite() throws {
        let work = try temporaryFolder()
        #expect(try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "h5", "-o", work + "/out.h5").code == 0)
        let before = try MappedFile(path: work + "/out.h5").bytes.count
        let again = try bertinspect("convert", Fixtures.path("tf-seqcls"), "--to", "h5", "-o", work + "/out.h5")
        #expect(again.code == 5)
        #expect(again.stderr == "bertinspect convert: \(work)/out.h5: the output already exists (use --force to overwrite it).\n")
        #expect(try MappedFile(path: work + "/out.h5").bytes.count == before)
        let same = try bertinspect("convert", Fixtures.path("pt-seqcls/model.safetensors"), "--to", "safetensors")
        #expect(same.code == 5)
        #expect(same.stderr.contains("model.safetensors: the output would replace the input it is made from"))
        #expect(FilePath.contents(of: work).allSatisfy { !$0.contains(AtomicFile.temporaryMarker) })
    }

    @Test("bad input is refused before anything is written, with the error the malformed corpus expects",
          arguments: ["st-size-mismatch.safetensors", "h5-external-link.h5", "h5-unallocated-chunks.h5", "h5-float-ebias.h5"])
    func badInput(name: String) throws {
        let work = try temporaryFolder()
        let result = try bertinspect("convert", Fixtures.path("malformed/\(name)"), "--to", "safetensors", "-o", work + "/out/")
        let expected = try MappedFile.withContents(of: Fixtures.path("malformed/expected.json")) { try JSONParser.parse($0) }
        let phrase = try #require(expected[name]?.stringValue)
        #expect(!phrase.isEmpty)
        #expect(result.code == 3)
        #expect(result.stderr.hasPrefix("bertinspect convert: "))
        #expect(result.stderr.contains(Fixtures.path("malformed/\(name)")) && result.stderr.contains(phrase), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        // Not even the output folder was created.
        #expect(FilePath.contents(of: work).isEmpty)
    }
}

@Suite("bertinspect freeze")
struct FreezeCommandTests {
    /// Trainable count after freezing `spec`, as `summary --json` reports it.
    func trainable(after spec: String, in path: String) throws -> Int? {
        let work = try temporaryFolder()
        let out = work + "/" + FilePath.fileName(of: path)
        let result = try bertinspect("freeze", path, "--layers", spec, "-o", out)
        #expect(result.code == 0, "\(result.stderr)")
        return try JSONParser.parse(try bertinspect("summary", out, "--json").stdout)["parameters"]?["trainable"]?.intValue
    }

    @Test("trainable counts equal what Keras reported after the same freeze", arguments: [
        ("bert", "bert"), ("bert.embeddings", "bert.embeddings"),
        ("bert.embeddings,bert.encoder.layer.0", "bert.embeddings+bert.encoder.layer.0"), ("bert.pooler", "bert.pooler"),
        ("bert.embeddings,layer_._0", "bert.embeddings+bert.encoder.layer.0"),
    ])
    func counts(spec: String, key: String) throws {
        let reference = try Fixtures.reference("tf-seqcls")
        #expect(try trainable(after: spec, in: Fixtures.path("tf-seqcls/tf_model.h5")) == reference["frozen"]?[key]?.intValue)
    }

    @Test("freezing bert in the notebook's BERT + CNN model gives Keras' trainable count", arguments: ["keras-bert-cnn-subclassed", "keras-bert-cnn-functional"])
    func notebookModel(folder: String) throws {
        let reference = try Fixtures.reference(folder)
        #expect(try trainable(after: "bert", in: Fixtures.path("\(folder)/weights.h5")) == reference["parameters"]?["trainable"]?.intValue)
    }

    @Test("the frozen state survives conversion both ways")
    func carriedAcrossFormats() throws {
        let work = try temporaryFolder()
        #expect(try bertinspect("freeze", Fixtures.path("tf-seqcls/tf_model.h5"), "--layers", "bert", "-o", work + "/frozen.h5").code == 0)
        #expect(try bertinspect("convert", work + "/frozen.h5", "--to", "safetensors", "-o", work + "/st/").code == 0)
        #expect(try bertinspect("convert", work + "/st", "--to", "h5", "-o", work + "/back/").code == 0)
        let reference = try Fixtures.reference("tf-seqcls")
        for path in [work + "/st", work + "/back"] {
            let json = try JSONParser.parse(try bertinspect("summary", path, "--json").stdout)
            #expect(json["parameters"]?["trainable"]?.intValue == reference["frozen"]?["bert"]?.intValue)
            #expect(json["frozen"] == .array([.string("bert")]))
        }
    }

    @Test("unfreeze undoes freeze, and a Keras full model's own flags can be lifted")
    func unfreeze() throws {
        let work = try temporaryFolder()
        #expect(try bertinspect("unfreeze", Fixtures.path("keras-full/model.h5"), "--layers", "bert", "-o", work + "/thawed.h5").code == 0)
        let json = try JSONParser.parse(try bertinspect("summary", work + "/thawed.h5", "--json").stdout)
        #expect(json["parameters"]?["trainable"]?.intValue == json["parameters"]?["total"]?.intValue)
    }

    @Test("--in-place replaces the file atomically; an unknown spec is a usage error listing valid names")
    func inPlaceAndUnknown() throws {
        let work = try temporaryFolder()
        #expect(try bertinspect("convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "-o", work + "/copy.safetensors").code == 0)
        #expect(try bertinspect("freeze", work + "/copy.safetensors", "--layers", "head", "--in-place").code == 0)
        let json = try JSONParser.parse(try bertinspect("summary", work + "/copy.safetensors", "--json").stdout)
        let classifier = try Fixtures.reference("tf-seqcls")["layers"]?.arrayValue?.first { $0["name"] == .string("classifier") }
        #expect(json["parameters"]?["non_trainable"]?.intValue == classifier?["parameters"]?.intValue)
        let unknown = try bertinspect("freeze", work + "/copy.safetensors", "--layers", "bert.decoder", "--in-place")
        #expect(unknown.code == 2)
        #expect(unknown.stderr.contains("bert.embeddings"))
    }
}
