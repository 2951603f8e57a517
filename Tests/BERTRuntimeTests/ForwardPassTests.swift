import Testing
#if canImport(Glibc)
import Glibc
#endif
import BERTGraph
@testable import BERTRuntime
import TensorFormats

/// A weight read in PyTorch layout (`[out, in]`) whatever layout it is stored in.
func canonical(_ weight: WeightTensor) -> (Int, Int) -> Float {
    let values = UnsafeBufferPointer(start: weight.values.base, count: weight.values.count)
    let outputs = weight.spec.shape[0], inputs = weight.spec.shape.count > 1 ? weight.spec.shape[1] : 1
    return { o, i in weight.isTransposed ? values[i * outputs + o] : values[o * inputs + i] }
}

@Suite("Forward pass structure")
struct ForwardPassTests {
    /// transformers' `BertLMPredictionHead` written out with plain loops, from the encoder's last hidden state.
    func referencePrediction(_ weights: ModelWeights, hidden: ArraySlice<Float>, width: Int, eps: Float) throws -> [Float] {
        let dense = canonical(try #require(weights["cls.predictions.transform.dense.weight"]))
        let denseBias = try #require(weights["cls.predictions.transform.dense.bias"]).values
        var t = (0..<width).map { o in
            (0..<width).reduce(Float(0)) { $0 + dense(o, $1) * hidden[hidden.startIndex + $1] } + denseBias.base[o]
        }
        t = t.map { 0.5 * $0 * (1 + Float(erf(Double($0) / 2.0.squareRoot()))) }
        let mean = t.reduce(0, +) / Float(width)
        let variance = t.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(width)
        let gamma = try #require(weights["cls.predictions.transform.LayerNorm.weight"]).values
        let beta = try #require(weights["cls.predictions.transform.LayerNorm.bias"]).values
        t = (0..<width).map { (t[$0] - mean) / (variance + eps).squareRoot() * gamma.base[$0] + beta.base[$0] }
        let embeddings = try #require(weights["bert.embeddings.word_embeddings.weight"]).values
        let bias = try #require(weights["cls.predictions.bias"]).values
        return (0..<bias.count).map { v in
            (0..<width).reduce(Float(0)) { $0 + t[$1] * embeddings.base[v * width + $1] } + bias.base[v]
        }
    }

    @Test("masked-LM logits equal the prediction head written out, in both layouts", arguments: ["tf-pretraining", "pt-pretraining"])
    func maskedLM(folder: String) throws {
        setThreadCount(1)
        let (checkpoint, model) = try loadModel(folder)
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        let pass = try ForwardPass(model: model, weights: weights, backend: try CPUBackend())
        let positions = [TokenPosition(sequence: 1, position: 3), TokenPosition(sequence: 0, position: 1)]
        let input = EncoderInput(inputIDs: [[101, 103, 1951, 102, 0], [101, 1788, 1767, 103, 102]],
                                 attentionMask: [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], maskedLMPositions: positions)
        let outputs = try pass.run(input)
        let logits = try #require(outputs.predictionLogits)
        #expect(logits.shape == [2, 2000])
        #expect(outputs.predictionPositions == positions)
        let hidden = try #require(outputs.lastHiddenState)
        for (index, position) in positions.enumerated() {
            let start = (position.sequence * 5 + position.position) * 32
            let expected = try referencePrediction(weights, hidden: hidden.values[start..<(start + 32)], width: 32, eps: 1e-12)
            let actual = logits.values[(index * 2000)..<((index + 1) * 2000)]
            let difference = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference < 1e-4, "\(folder) position \(index): \(difference)")
        }
        #expect(outputs.seqRelationshipLogits?.shape == [2, 2])
    }

    @Test("a sequence gives the same outputs alone and inside a padded batch")
    func batchIndependence() throws {
        let (_, pass) = try cpuPass("tf-seqcls")
        let alone = try pass.run(EncoderInput(inputIDs: [[101, 1951, 1788, 102]]))
        let batched = try pass.run(EncoderInput(inputIDs: [[101, 150, 1951, 1788, 1767, 102], [101, 1951, 1788, 102, 0, 0]],
                                                attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]))
        let a = try #require(alone.logits), b = try #require(batched.logits)
        for label in 0..<2 { #expect(abs(a.values[label] - b.values[2 + label]) < 1e-6) }
        let hiddenAlone = try #require(alone.lastHiddenState).values
        let hiddenBatched = try #require(batched.lastHiddenState).values[(6 * 32)..<(6 * 32 + 4 * 32)]
        #expect(zip(hiddenAlone, hiddenBatched).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("output shapes follow the architecture")
    func shapes() throws {
        let input = EncoderInput(inputIDs: [[101, 7, 8, 102], [101, 9, 102, 0]], attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]])
        let tokens = try cpuPass("tf-tokcls").1.run(input)
        #expect(tokens.logits?.shape == [2, 4, 5])
        #expect(tokens.poolerOutput == nil)
        let base = try cpuPass("pt-base").1.run(input)
        #expect(base.logits == nil)
        #expect(base.poolerOutput?.shape == [2, 32])
        #expect(base.lastHiddenState?.shape == [2, 4, 32])
        let cnn = try cpuPass("keras-bert-cnn-functional").1.run(input)
        #expect(cnn.logits?.shape == [2, 1])
    }

    @Test("bert-base at sequence length 128 costs 22.35 GFLOP per sequence")
    func bertBaseFLOPs() {
        var configuration = BERTConfiguration()
        configuration.vocabSize = 30522
        configuration.hiddenSize = 768
        configuration.numHiddenLayers = 12
        configuration.numAttentionHeads = 12
        configuration.intermediateSize = 3072
        configuration.maxPositionEmbeddings = 512
        configuration.typeVocabSize = 2
        configuration.numLabels = 2
        let flops = FLOPCount.count(configuration: configuration, architecture: .sequenceClassification, hasPooler: true,
                                    head: nil, batch: 1, length: 128, maskedLMPositions: 0)
        #expect((Double(flops) / 1e9 * 100).rounded() / 100 == 22.35)
        #expect(FLOPCount.count(configuration: configuration, architecture: .bertModel, hasPooler: false, head: nil,
                                batch: 4, length: 128, maskedLMPositions: 0) == 4 * 22_347_251_712)
    }

    @Test("the FLOP count of a fixture agrees between the model and the pass")
    func fixtureFLOPs() throws {
        for folder in ["tf-seqcls", "keras-bert-cnn-functional", "keras-cnn-functional"] {
            let (model, pass) = try cpuPass(folder)
            let count = try FLOPCount.forwardPass(of: model, batch: 3, sequenceLength: 16)
            #expect(count == pass.flopCount(batch: 3, sequenceLength: 16))
            #expect(count > 0)
        }
        // keras-cnn: Conv1D 8 filters of width 2, 3, 4 over 16 channels, Dense 24→12, Dense 12→1.
        let (_, model) = try loadModel("keras-cnn-functional")
        let expected = 2 * (15 * 8 * 32 + 14 * 8 * 48 + 13 * 8 * 64) + 2 * 12 * 24 + 2 * 1 * 12
        #expect(try FLOPCount.forwardPass(of: model, batch: 1, sequenceLength: 16) == expected)
    }
}

@Suite("Batching by length")
struct BatchPlanTests {
    /// Lengths with IMDB's shape: many near the 512 cap, a long middle, a short head (seeded, no framework involved:
    /// the plan is checked against its own contract).
    static let lengths: [Int] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<700).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return min(512, 8 + Int(state >> 33) % 700)
        }
    }()

    @Test("every sequence once, at most batch-size per batch, longest first; a batch closes early only when it has 1,024 rows and the next is under 90% of its length")
    func contract() {
        let plan = BatchPlan.byLength(Self.lengths, batchSize: 32)
        #expect(plan.flatMap { $0 }.sorted() == Array(Self.lengths.indices))
        for (number, batch) in plan.enumerated() {
            #expect(batch.count <= 32)
            let longest = Self.lengths[batch[0]]
            #expect(zip(batch, batch.dropFirst()).allSatisfy { Self.lengths[$0] >= Self.lengths[$1] })
            // Within a batch, a sequence under 90% of the longest only while the batch had fewer than 1,024 rows.
            for (position, index) in batch.enumerated() where Double(Self.lengths[index]) < 0.9 * Double(longest) {
                #expect(position * longest < 1024, "batch \(number) position \(position)")
            }
            // A batch that closed before 32 did so because the next sequence was too short for it.
            if batch.count < 32, number + 1 < plan.count {
                #expect(Double(Self.lengths[plan[number + 1][0]]) < 0.9 * Double(longest))
            }
        }
        let padded = BatchPlan.computedPositions(plan, lengths: Self.lengths)
        let fixed = BatchPlan.computedPositions(BatchPlan.inOrder(count: Self.lengths.count, batchSize: 32), lengths: Self.lengths)
        #expect(padded < fixed)
    }
}
