import Foundation
import Testing
import FixtureSupport
import TensorFormats

@Suite("PyTorch pickle checkpoints through the commands")
struct PyTorchCommandTests {
    static let reference: JSONValue? = try? Fixtures.reference("pt-bin")

    @Test("summary of a save_pretrained(safe_serialization=False) folder names the format and counts what transformers counts")
    func summary() throws {
        let result = try bertinspect("summary", "--json", Fixtures.path("pt-bin/seqcls"))
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(Array(result.stdout.utf8))
        let total = try #require(try Fixtures.reference("pt-seqcls")["parameters"]?["total"]?.intValue)
        #expect(json["parameters"]?["total"]?.intValue == total)
        #expect(json["format"]?.stringValue?.hasPrefix("PyTorch pickle") == true)
        #expect(json["weights_file"]?.stringValue?.hasSuffix("pytorch_model.bin") == true)
        let legacy = try bertinspect("summary", Fixtures.path("pt-bin/legacy.bin"))
        #expect(legacy.code == 0, "\(legacy.stderr)")
        #expect(legacy.stdout.contains("legacy stream (torch.save before PyTorch 1.6)"))
    }

    @Test("convert .bin → safetensors writes, tensor for tensor, what transformers' save_pretrained(safe_serialization=True) writes",
          arguments: ["seqcls", "pretraining", "sharded", "legacy-folder"])
    func convert(folder: String) throws {
        let expected = try #require(Self.reference?["folders"]?[folder]?["transformers_safetensors"]?["tensors"]?.arrayValue)
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try bertinspect("convert", Fixtures.path("pt-bin/" + folder), "--to", "safetensors", "-o", out + "/")
        #expect(result.code == 0, "\(result.stderr)")
        let written = try SafetensorsFile(path: out + "/model.safetensors")
        #expect(Set(written.tensors.map(\.name)) == Set(expected.compactMap { $0["name"]?.stringValue }))
        for want in expected {
            let tensor = try #require(written.tensor(named: want["name"]?.stringValue ?? ""))
            #expect(tensor.dtype.rawValue == want["dtype"]?.stringValue)
            #expect(tensor.shape == want["shape"]?.arrayValue?.compactMap(\.intValue))
            #expect(try digest(written, tensor) == want["sha256"]?.stringValue, "\(folder): \(tensor.name)")
        }
        #expect(FileManager.default.fileExists(atPath: out + "/config.json"))
    }

    @Test("freeze refuses a pickle and says to convert first; nothing is written")
    func freezeRefused() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let source = Fixtures.path("pt-bin/seqcls/pytorch_model.bin")
        let result = try bertinspect("freeze", source, "--layers", "bert", "-o", out + "/frozen.bin")
        #expect(result.code == 3)
        #expect(result.stderr.contains("a PyTorch pickle (read without executing it) cannot record frozen layers"), "\(result.stderr)")
        #expect(result.stderr.contains("bertinspect convert \(source) --to safetensors"))
        #expect(!FileManager.default.fileExists(atPath: out + "/frozen.bin"))
    }

    @Test("a pickle that would run os.system exits 3 with one line naming the global, and runs nothing")
    func hostileCommand() throws {
        let marker = "/tmp/bertinspect-pickle-marker-global-os-system"
        for command in [["summary"], ["convert", "--to", "safetensors", "-o", NSTemporaryDirectory() + "never-\(UUID().uuidString).safetensors"]] {
            let result = try bertinspect(arguments: [command[0], Fixtures.path("pt-bin-hostile/global-os-system.bin")] + command.dropFirst())
            #expect(result.code == 3)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("GLOBAL os.system is not on the allow-list"), "\(result.stderr)")
            #expect(result.stderr.contains("nothing was executed"))
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a Git LFS pointer in place of the weights is named, with what to do")
    func lfsPointer() throws {
        let result = try bertinspect("summary", Fixtures.path("foreign/lfs-pointer.safetensors"))
        #expect(result.code == 3)
        #expect(result.stderr.contains("a Git LFS pointer") && result.stderr.contains("git lfs pull"), "\(result.stderr)")
    }
}

@Suite("TensorFlow checkpoints through the commands")
struct TensorFlowCheckpointCommandTests {
    static let entries: JSONValue? = (try? Fixtures.reference("tf-ckpt"))?["entries"]

    @Test("convert of a Google BERT checkpoint writes what transformers' load_tf_weights_in_bert makes of it (classifier: the intended mapping)",
          arguments: [("google-pretraining", "transformers_pytorch"), ("google-bare", "transformers_pytorch"), ("google-classifier", "intended_pytorch")])
    func convertGoogle(entry: String, key: String) throws {
        let expected = try #require(Self.entries?[entry]?[key]?["state_dict"]?.arrayValue)
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try bertinspect("convert", Fixtures.path("tf-ckpt/" + entry), "--to", "safetensors", "-o", out + "/")
        #expect(result.code == 0, "\(result.stderr)")
        let written = try SafetensorsFile(path: out + "/model.safetensors")
        var wanted: [String: JSONValue] = [:]
        for item in expected { wanted[item["name"]?.stringValue ?? ""] = item }
        for tensor in written.tensors {
            let want = try #require(wanted[tensor.name], "\(entry): \(tensor.name) is not in transformers' state dict")
            #expect(tensor.shape == want["shape"]?.arrayValue?.compactMap(\.intValue))
            #expect(try digest(written, tensor) == want["sha256"]?.stringValue, "\(entry): \(tensor.name)")
        }
        // Only the tied decoder copies (dropped by save_pretrained as well) and the position_ids buffer may be missing.
        let missing = Set(wanted.keys).subtracting(written.tensors.map(\.name))
        #expect(missing.allSatisfy { $0.hasPrefix("cls.predictions.decoder.") || $0.hasSuffix("position_ids") }, "\(entry): \(missing.sorted())")
        #expect(FileManager.default.fileExists(atPath: out + "/config.json"))
    }

    @Test("summary names the TF checkpoint kind and lists the Adam slots as not read")
    func summary() throws {
        let result = try bertinspect("summary", "--json", Fixtures.path("tf-ckpt/google-pretraining"))
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(Array(result.stdout.utf8))
        #expect(json["format"]?.stringValue == "TensorFlow checkpoint")
        #expect(json["layout"]?.stringValue?.contains("Google BERT names") == true)
        let slots = try #require(Self.entries?["google-pretraining"]?["counts"]?["adam_slots"]?.intValue)
        let warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains { $0.hasPrefix("\(slots + 1) ") }, "\(warnings)")
        let total = try #require(try Fixtures.reference("pt-pretraining")["parameters"]?["total"]?.intValue)
        #expect(json["parameters"]?["total"]?.intValue == total)
    }
}
