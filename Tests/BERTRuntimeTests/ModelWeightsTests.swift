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
            // safetensors data is 8-byte aligned by the writer's header padding: every float32 tensor is used in place.
            if checkpoint.store.layout == .safetensors { #expect(weights.mappedCount == model.parameters.count) }
            #expect(weights.mappedCount > 0)
        } else {
            #expect(weights.mappedCount == 0)
        }
        let config = try #require(try Fixtures.reference(folder)["config"])
        let word = try #require(weights["bert.embeddings.word_embeddings.weight"])
        #expect(word.values.count == (config["vocab_size"]?.intValue ?? 0) * (config["hidden_size"]?.intValue ?? 0))
    }

    @Test("f16 and bf16 weights widen to the values PyTorch cast them from, within the format's rounding",
          arguments: [("pt-f16", 10), ("pt-bf16", 7)])
    func widening(folder: String, mantissaBits: Int) throws {
        // pt-f16 and pt-bf16 are pt-seqcls cast by PyTorch: widened, every value is the float32 original rounded to
        // nearest, so within half a unit in the last place of the narrow format (a wrong bias or field is far off).
        let (checkpoint, model) = try loadModel(folder)
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        let original = try SafetensorsFile(path: Fixtures.path("pt-seqcls/model.safetensors"))
        let bound = 1 / Float(1 << (mantissaBits + 1))
        for name in ["classifier.weight", "classifier.bias", "bert.embeddings.LayerNorm.weight"] {
            let loaded = try #require(weights[name])
            let values = Array(UnsafeBufferPointer(start: loaded.values.base, count: loaded.values.count))
            let source = try #require(original.tensor(named: name))
            let reference: [Float] = try original.withBytes(of: source) { bytes in
                (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            #expect(values.count == reference.count)
            for (value, exact) in zip(values, reference) {
                #expect(abs(value - exact) <= abs(exact) * bound + Float.leastNormalMagnitude * 1e3 + 6e-8, "\(name): \(value) vs \(exact)")
            }
        }
    }

    @Test("TF kernels keep their stored [in, out] layout and are marked transposed")
    func storedLayout() throws {
        let (checkpoint, model) = try loadModel("tf-seqcls")
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        let intermediate = try #require(weights["bert.encoder.layer.0.intermediate.dense.weight"])
        let config = try #require(try Fixtures.reference("tf-seqcls")["config"])
        let inner = try #require(config["intermediate_size"]?.intValue), hidden = try #require(config["hidden_size"]?.intValue)
        #expect(intermediate.spec.shape == [inner, hidden])
        #expect(intermediate.storedShape == [hidden, inner])
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
