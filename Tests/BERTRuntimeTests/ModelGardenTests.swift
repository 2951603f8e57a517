import BERTGraph
import BERTRuntime
import FixtureSupport
import Testing
import TensorFormats

/// TF2 checkpoints the TensorFlow Model Garden writes for its BERT (`official.nlp.modeling` BertEncoder and
/// BertClassifier, tf-models-official 2.20; tools/make_model_garden_fixture.py): EinsumDense attention kernels,
/// `layer_with_weights-N` keys, tanh-approximate GELU.
@Suite("TensorFlow Model Garden checkpoints")
struct ModelGardenTests {
    static let reference: JSONValue? = try? Fixtures.reference("tf-ckpt-garden")

    /// The reference batch as the model takes it.
    static func input() throws -> EncoderInput {
        let inputs = try #require(reference?["inputs"])
        return EncoderInput(inputIDs: try #require(integerRows(inputs["input_word_ids"])),
                            attentionMask: integerRows(inputs["input_mask"]), tokenTypeIDs: integerRows(inputs["input_type_ids"]))
    }

    @Test("the classifier checkpoint gives the Model Garden's logits")
    func classifierLogits() throws {
        let (model, pass) = try cpuPass("tf-ckpt-garden/classifier")
        #expect(model.architecture == .sequenceClassification)
        let logits = try #require(try pass.run(try Self.input()).logits)
        let expected = flatten(try #require(Self.reference?["outputs"]?["classifier"]?["logits"]))
        #expect(logits.values.count == expected.count)
        for (a, b) in zip(logits.values, expected) { #expect(abs(Double(a) - b) <= 1e-5, "\(a) vs \(b)") }
    }

    @Test("the encoder checkpoint gives the Model Garden's sequence and pooled outputs (where the mask is 1)")
    func encoderOutputs() throws {
        let (model, pass) = try cpuPass("tf-ckpt-garden/encoder")
        #expect(model.architecture == .bertModel)
        let input = try Self.input()
        let outputs = try pass.run(input)
        let hidden = try #require(outputs.lastHiddenState), pooled = try #require(outputs.poolerOutput)
        let sequence = flatten(try #require(Self.reference?["outputs"]?["encoder"]?["sequence_output"]))
        let width = hidden.shape[2]
        #expect(hidden.values.count == sequence.count)
        for (index, (a, b)) in zip(hidden.values, sequence).enumerated() {
            let row = index / width, b0 = row / input.sequenceLength, t = row % input.sequenceLength
            guard input.attentionMask[b0][t] == 1 else { continue }
            #expect(abs(Double(a) - b) <= 1e-5, "sequence_output[\(b0)][\(t)]: \(a) vs \(b)")
        }
        let expectedPooled = flatten(try #require(Self.reference?["outputs"]?["encoder"]?["pooled_output"]))
        #expect(pooled.values.count == expectedPooled.count)
        for (a, b) in zip(pooled.values, expectedPooled) { #expect(abs(Double(a) - b) <= 1e-5) }
    }

    @Test("the head count comes from the 3-D kernels, GELU is the tanh form, and the parameters are Keras' count")
    func configuration() throws {
        let (checkpoint, model) = try loadModel("tf-ckpt-garden/classifier")
        #expect(checkpoint.store.layout == .tensorflowModelGarden)
        let config = try #require(Self.reference?["config"]?["tiny_bert"])
        #expect(model.configuration.numAttentionHeads == config["num_attention_heads"]?.intValue)
        #expect(model.configuration.sources["num_attention_heads"] == .inferred)
        #expect(model.configuration.hiddenAct == Self.reference?["hf_mapping"]?["bert_config"]?["hidden_act"]?.stringValue)
        #expect(model.parameterCounts.total == Self.reference?["keras"]?["count_params"]?.intValue)
        #expect(model.report.missing.isEmpty && model.report.unexpected.isEmpty, "\(model.report.missing) \(model.report.unexpected)")
        let (_, encoder) = try loadModel("tf-ckpt-garden/encoder")
        #expect(encoder.parameterCounts.total == Self.reference?["keras"]?["encoder_count_params"]?.intValue)
    }
}
