import Testing
import FixtureSupport
import BERTGraph
@testable import BERTRuntime
import TensorFormats

@Suite("Loading weights")
struct ModelWeightsTests {
    @Test("aligned float32 safetensors and contiguous HDF5 datasets are used in place; 16-bit files are widened once",
          arguments: [("pt-seqcls", true), ("pt-sharded", true), ("pt-f16", false), ("pt-bf16", false), ("tf-seqcls", true)])
    func mappedInPlace(folder: String, mapped: Bool) throws {
        let (checkpoint, model) = try loadModel(folder)
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        #expect(weights.tensors.count == model.parameters.count)
        if mapped {
            #expect(weights.mappedCount > 0)
            #expect(weights.mappedCount == model.parameters.filter { checkpoint.store.hasStableView(of: $0.stored) }.count
                    - model.parameters.filter { p in (try? checkpoint.store.withBytes(of: p.stored) { Int(bitPattern: $0.baseAddress) % 4 != 0 }) ?? false }.count)
        } else {
            #expect(weights.mappedCount == 0)
        }
        let word = try #require(weights["bert.embeddings.word_embeddings.weight"])
        #expect(word.values.count == 2000 * 32)
    }

    @Test("f16 and bf16 weights widen to the float32 values PyTorch upcasts them to")
    func widening() throws {
        for folder in ["pt-f16", "pt-bf16"] {
            let (checkpoint, model) = try loadModel(folder)
            let weights = try ModelWeights(model: model, store: checkpoint.store)
            let parameter = try #require(model.parameter(named: "classifier.bias"))
            let expected = try checkpoint.store.withBytes(of: parameter.stored) { try #require(decodeFloats($0, dtype: parameter.stored.dtype)) }
            let loaded = try #require(weights["classifier.bias"])
            #expect(Array(UnsafeBufferPointer(start: loaded.values.base, count: loaded.values.count)) == expected)
        }
    }

    @Test("TF kernels keep their stored [in, out] layout and are marked transposed")
    func storedLayout() throws {
        let (checkpoint, model) = try loadModel("tf-seqcls")
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        let intermediate = try #require(weights["bert.encoder.layer.0.intermediate.dense.weight"])
        #expect(intermediate.spec.shape == [48, 32])
        #expect(intermediate.storedShape == [32, 48])
        #expect(intermediate.isTransposed)
    }

    @Test("an incomplete model is refused with its first problem")
    func incompleteRefused() throws {
        var checkpoint = try Checkpoint.open(Fixtures.path("pt-seqcls"), formats: formats)
        checkpoint.store = HidingStore(checkpoint.store, hiding: "bert.encoder.layer.1.output.dense.bias")
        let model = try ModelLoader.load(checkpoint)
        try #require(!model.report.isComplete)
        let problem = "missing parameter 'bert.encoder.layer.1.output.dense.bias' (looked for 'bert.encoder.layer.1.output.dense.bias')"
        #expect(model.report.problems.first == problem)
        #expect(throws: RuntimeError.incompleteModel(path: checkpoint.store.path, problem: problem)) {
            try ModelWeights(model: model, store: checkpoint.store)
        }
    }
}

/// A store that pretends one tensor is absent, to make an incomplete model.
final class HidingStore: TensorStore {
    let base: any TensorStore
    let hidden: String

    init(_ base: any TensorStore, hiding name: String) {
        self.base = base
        hidden = name
    }

    var path: String { base.path }
    var layout: StoreLayout { base.layout }
    var tensors: [StoredTensor] { base.tensors.filter { $0.name != hidden } }
    var layerGroups: [LayerGroup]? { base.layerGroups }
    var metadata: [String: String] { base.metadata }
    var fileSize: Int { base.fileSize }

    func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try base.withBytes(of: tensor, body)
    }
}
