import Testing
import FixtureSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import TensorFormats

@Suite("PyTorch pickle checkpoints (torch.save zip and legacy), read without executing them")
struct PyTorchFileTests {
    static let reference: JSONValue? = try? Fixtures.reference("pt-bin")
    static let files: [String] = reference?["files"]?.objectValue?.map(\.0) ?? []

    @Test("the fixtures torch wrote are there (zip, legacy, sharded, tied, f16, bf16, strided views, nested)")
    func corpus() {
        #expect(Self.files.count >= 11)
        #expect(Self.files.contains("views.bin") && Self.files.contains("legacy.bin") && Self.files.contains("nested.pt"))
    }

    @Test("every tensor, its dtype, shape and bytes are what torch.load(weights_only=True) returns, in its order", arguments: files)
    func tensorsEqualTorch(file: String) throws {
        let entry = try #require(Self.reference?["files"]?[file])
        let expected = try #require(entry["tensors"]?.arrayValue)
        let store = try PyTorchFile(path: Fixtures.path("pt-bin/" + file))
        #expect(store.tensors.map(\.name) == expected.compactMap { $0["name"]?.stringValue })
        for (tensor, want) in zip(store.tensors, expected) {
            #expect(tensor.dtype.rawValue == want["dtype"]?.stringValue, "\(file) \(tensor.name)")
            #expect(tensor.shape == want["shape"]?.arrayValue?.compactMap(\.intValue), "\(file) \(tensor.name)")
            #expect(try digest(store, tensor) == want["sha256"]?.stringValue, "\(file) \(tensor.name)")
        }
        let legacy = entry["format"]?.stringValue?.contains("legacy") == true
        #expect(store.layout == (legacy ? .pytorchLegacy : .pytorchZip), "\(file): \(entry["format"]?.stringValue ?? "")")
    }

    @Test("tensors that share a storage (tied weights) stay views of the same bytes; strided views are copied out")
    func sharedAndStrided() throws {
        let entry = try #require(Self.reference?["files"]?["pretraining/pytorch_model.bin"])
        let store = try PyTorchFile(path: Fixtures.path("pt-bin/pretraining/pytorch_model.bin"))
        let groups = try #require(entry["shared_storages"]?.arrayValue)
        #expect(!groups.isEmpty)
        for group in groups {
            let names = group.arrayValue?.compactMap(\.stringValue) ?? []
            let addresses = try names.map { name in
                try store.withBytes(of: try #require(store.tensor(named: name))) { $0.baseAddress }
            }
            #expect(Set(addresses).count == 1, "\(names) should share one storage")
        }
        // views.bin: every tensor a view into one flat storage, classifier.weight transposed (strides (1, rows)).
        let views = try PyTorchFile(path: Fixtures.path("pt-bin/views.bin"))
        let strided = try #require(Self.reference?["files"]?["views.bin"]?["tensors"]?.arrayValue?.first {
            let stride = $0["stride"]?.arrayValue?.compactMap(\.intValue) ?? []
            return stride.count == 2 && stride[1] != 1
        })
        let name = try #require(strided["name"]?.stringValue)
        let tensor = try #require(views.tensor(named: name))
        #expect(!views.hasStableView(of: tensor))
        #expect(try digest(views, tensor) == strided["sha256"]?.stringValue)
    }

    @Test("a training checkpoint {'state_dict': …, 'epoch': 3} is read through its state_dict; the rest is listed, not read")
    func nestedCheckpoint() throws {
        let store = try PyTorchFile(path: Fixtures.path("pt-bin/nested.pt"))
        #expect(store.tensors.count == Self.reference?["files"]?["nested.pt"]?["tensors"]?.arrayValue?.count)
        // tools/make_pickle_fixtures.py saved {"state_dict": model.state_dict(), "epoch": 3}.
        #expect(store.unlistedNames == ["epoch"])
    }

    @Test("a sharded pytorch_model.bin.index.json is one store that agrees with its weight_map")
    func sharded() throws {
        let folder = try #require(Self.reference?["folders"]?["sharded"])
        let store = try Checkpoint.openStore(Fixtures.path("pt-bin/sharded/pytorch_model.bin.index.json"), formats: [PyTorchFormat()])
        let sharded = try #require(store as? ShardedStore)
        let map = try #require(folder["weight_map"]?.objectValue)
        #expect(sharded.tensors.count == map.count)
        for tensor in sharded.tensors {
            #expect(sharded.index.shards[tensor.shard] == map.first { $0.0 == tensor.name }?.1.stringValue, "\(tensor.name)")
        }
        #expect(sharded.shards.count == folder["shards"]?.arrayValue?.count)
    }

    @Test("one shard given alone names the .bin index")
    func oneShard() throws {
        let shard = Fixtures.path("pt-bin/sharded/pytorch_model-00001-of-00002.bin")
        #expect(throws: TensorFormatError.shardGiven(path: shard, number: 1, total: 2, index: Fixtures.path("pt-bin/sharded/pytorch_model.bin.index.json"))) {
            try Checkpoint.openStore(shard, formats: [PyTorchFormat()])
        }
    }

    /// Each hostile file and the words its one-line error must contain. Every file under pt-bin-hostile/ must be
    /// listed, so a new case cannot go untested.
    static let hostile: [String: String] = [
        "global-os-system.bin": "GLOBAL os.system is not on the allow-list",
        "global-builtins-eval.bin": "GLOBAL builtins.eval is not on the allow-list",
        "global-subprocess-popen.bin": "GLOBAL subprocess.Popen is not on the allow-list",
        "global-getattr.bin": "GLOBAL builtins.getattr is not on the allow-list",
        "stack-global-os-system.bin": "GLOBAL os.system is not on the allow-list",
        "legacy-os-system.bin": "object pickle, byte 131: GLOBAL os.system",
        "obj-opcode.bin": "GLOBAL os.system",
        "inst-opcode.bin": "opcode INST (0x69) is not allowed",
        "newobj-opcode.bin": "opcode NEWOBJ (0x81) is not allowed",
        "reduce-on-storage-class.bin": "REDUCE calling torch.FloatStorage",
        "persid-not-storage.bin": "BINPERSID of something other than a ('storage', …) tuple",
        "full-module-pickle.bin": "is a pickled Python object, not a state dict",
        "torchscript-renamed.bin": "a TorchScript archive",
        "dtype-complex.bin": "torch.ComplexFloatStorage holds an element type bertinspect does not read",
        "storage-offset-out-of-range.bin": "its view (offset 100, size [2, 3], stride [3, 1]) reaches element 105 of a storage of 6",
        "stride-out-of-range.bin": "reaches element 6 of a storage of 6",
        "negative-stride.bin": "a tensor with a negative offset, size or stride",
        "size-overflow.bin": "its offset, sizes and strides overflow",
        "rank-too-high.bin": "a tensor of rank 40, more than 8",
        "storage-record-too-short.bin": "storage '0' holds 24 bytes but its id claims 1000 elements of 4 bytes",
        "storage-record-missing.bin": "has no 'archive/data/1' member",
        "string-length-past-end.bin": "a length of 4294967295 bytes runs past the end of the pickle",
        "truncated-pickle.bin": "the pickle ends without STOP",
        "stack-underflow.bin": "TUPLE2 needs 2 values on the stack",
        "memo-get-undefined.bin": "memo entry 7 is read before it is written",
        "duplicate-key.bin": "tensor 'weight' is stored more than once",
        "zip-dotdot-member.bin": "member '../data.pkl' contains '..'",
        "zip-absolute-member.bin": "member '/archive/data.pkl' has an absolute name",
        "zip-duplicate-member.bin": "member 'archive/data.pkl' is listed twice",
        "zip-overlapping-members.bin": "invalid zip archive: member 'archive/data/1'",
        "zip-deflated-pickle.bin": "is compressed (method 8)",
        "zip-bomb-size.bin": "claims data outside the file",
        "zip-truncated.bin": "no end-of-central-directory record",
        "zip-no-central-directory.bin": "no end-of-central-directory record",
        "byteorder-big.bin": "byte order 'big'",
        "legacy-truncated-storage.bin": "invalid legacy torch.save stream: storage",
        "legacy-bad-magic.bin": "not a checkpoint bertinspect reads",
        // 900,000 nested containers in a 900 KB pickle: stopped at one container per 8 bytes, memory bounded by the file.
        "nesting-bomb.bin": "containers (one per 8 bytes of pickle at most)",
    ]
    /// Hostile-looking files that are valid pickles of inert data: read (and found to be no BERT) without harm.
    static let inert: Set<String> = ["control-zip.bin", "control-legacy.bin", "memo-huge-index.bin"]

    @Test("every hostile pickle and zip is refused with its own reason, and nothing it asks for runs",
          arguments: FilePath.contents(of: Fixtures.path("pt-bin-hostile")).filter { $0.hasSuffix(".bin") })
    func hostile(file: String) throws {
        let path = Fixtures.path("pt-bin-hostile/" + file)
        if Self.inert.contains(file) {
            let store = try PyTorchFile(path: path)
            #expect(store.tensors.count <= 2)
            return
        }
        let phrase = try #require(Self.hostile[file], "\(file) has no expected error")
        do {
            _ = try Checkpoint.openStore(path, formats: [PyTorchFormat()])
            Issue.record("\(file) was accepted")
        } catch let error as TensorFormatError {
            #expect(error.description.contains(phrase), "\(file): \(error.description)")
            #expect(error.description.hasPrefix(path), "\(file): \(error.description)")
        }
        let cases = try #require(try? MappedFile.withContents(of: Fixtures.path("pt-bin-hostile/cases.json")) { try JSONParser.parse($0) })
        if let marker = cases[file]?["marker"]?.stringValue {
            #expect(access(marker, F_OK) != 0, "\(file) created its marker \(marker)")
        }
    }
}
