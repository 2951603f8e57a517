/// What a forward pass returns, named as transformers names its outputs.
public struct ModelOutputs: Sendable, Equatable {
    /// `[batch, sequence, hidden]`: the encoder's last layer (nil for a model without BERT).
    public var lastHiddenState: FloatTensor?
    /// `[batch, hidden]`: `tanh(dense(h[:, 0]))`, for models with a pooler.
    public var poolerOutput: FloatTensor?
    /// The head's output: `[batch, labels]` (sequence classification), `[batch, sequence, labels]` (token
    /// classification), or the CNN head's sigmoid `[batch, units]`.
    public var logits: FloatTensor?
    /// `[batch, 2]`: the next-sentence head of a pre-training model.
    public var seqRelationshipLogits: FloatTensor?
    /// `[positions, vocabulary]`: masked-LM prediction logits at `predictionPositions`, in the order requested.
    public var predictionLogits: FloatTensor?
    /// The positions `predictionLogits` rows belong to.
    public var predictionPositions: [TokenPosition] = []

    /// No outputs yet.
    public init() {}

    /// The names a golden file uses, in its order.
    public static let goldenNames = ["logits", "seq_relationship_logits", "pooler_output", "last_hidden_state"]

    /// The output a golden file calls `name`.
    public func output(named name: String) -> FloatTensor? {
        switch name {
        case "logits": return logits
        case "seq_relationship_logits": return seqRelationshipLogits
        case "pooler_output": return poolerOutput
        case "last_hidden_state": return lastHiddenState
        case "prediction_logits": return predictionLogits
        default: return nil
        }
    }

    /// Every output present, under its golden-file name, in `goldenNames` order.
    public var named: [(name: String, tensor: FloatTensor)] {
        Self.goldenNames.compactMap { name in output(named: name).map { (name, $0) } }
    }
}
