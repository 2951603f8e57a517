import BERTGraph

/// Floating-point operations of a forward pass, counting matrix products only (2·M·N·K each), as benchmarks quote
/// them; elementwise work (softmax, LayerNorm, GELU) adds under 1% at BERT shapes.
///
/// bert-base at sequence length 128 gives 22.35 GFLOP per sequence.
public enum FLOPCount {
    /// Operations of one pass of `batch` sequences of `sequenceLength` tokens through `model`.
    public static func forwardPass(of model: BERTModel, batch: Int, sequenceLength: Int, maskedLMPositions: Int = 0) throws -> Int {
        let head = model.architecture == .bertCNN || model.architecture == .kerasCNN ? try CNNHead.resolve(model) : nil
        return count(configuration: model.configuration, architecture: model.architecture, hasPooler: model.hasPooler,
                     head: head, batch: batch, length: sequenceLength, maskedLMPositions: maskedLMPositions)
    }

    static func count(configuration c: BERTConfiguration, architecture: Architecture, hasPooler: Bool, head: CNNHead?,
                      batch: Int, length: Int, maskedLMPositions: Int) -> Int {
        let h = c.hiddenSize, rows = batch * length
        func product(_ m: Int, _ n: Int, _ k: Int) -> Int { 2 * m * n * k }
        var total = 0
        if architecture.hasEncoder {
            let perLayer = 4 * product(rows, h, h)          // query, key, value, attention output
                + 2 * product(rows, length, h)              // scores and context, all heads together
                + 2 * product(rows, c.intermediateSize, h)  // intermediate and output
            total += c.numHiddenLayers * perLayer
            if hasPooler { total += product(batch, h, h) }
        }
        switch architecture {
        case .sequenceClassification: total += product(batch, c.numLabels ?? 0, h)
        case .tokenClassification: total += product(rows, c.numLabels ?? 0, h)
        case .preTraining, .maskedLM:
            if architecture == .preTraining { total += product(batch, 2, h) }
            total += product(maskedLMPositions, h, h) + product(maskedLMPositions, c.vocabSize, h)
        case .bertCNN, .kerasCNN:
            guard let head else { break }
            for convolution in head.convolutions {
                let windows = max(length - convolution.width + 1, 0)
                total += product(batch * windows, convolution.filters, convolution.width * convolution.inputChannels)
            }
            total += product(batch, head.hidden.outputs, head.hidden.inputs) + product(batch, head.output.outputs, head.output.inputs)
        case .bertModel: break
        }
        return total
    }
}

extension ForwardPass {
    /// Matrix-product operations of one `run` on `batch` sequences of `sequenceLength` tokens (see `FLOPCount`).
    public func flopCount(batch: Int, sequenceLength: Int, maskedLMPositions: Int = 0) -> Int {
        FLOPCount.count(configuration: configuration, architecture: architecture, hasPooler: hasPooler, head: cnn,
                        batch: batch, length: sequenceLength, maskedLMPositions: maskedLMPositions)
    }
}
