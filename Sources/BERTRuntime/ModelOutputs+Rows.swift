#if canImport(Glibc)
import Glibc
#endif
import BERTGraph

/// What a person asks of a bare encoder's outputs (`run --output`).
public enum PooledOutput: String, Sendable, CaseIterable {
    /// `[sequence, hidden]`: every token's last hidden state.
    case lastHiddenState = "last_hidden_state"
    /// `[hidden]`: `tanh(dense(h[CLS]))`.
    case poolerOutput = "pooler_output"
    /// `[hidden]`: the mean of the last hidden states where the attention mask is 1 (sentence-transformers' pooling).
    case meanPooled = "mean_pooled"
}

extension ModelOutputs {
    /// Row `i` of a `[batch, n]` output (logits, pooler output, next-sentence logits).
    public static func row(_ tensor: FloatTensor?, _ i: Int) throws(RuntimeError) -> [Float] {
        guard let tensor, tensor.shape.count == 2, i >= 0, i < tensor.shape[0] else {
            throw .unsupported(reason: "the model produced no per-sequence output")
        }
        let width = tensor.shape[1]
        return Array(tensor.values[(i * width)..<((i + 1) * width)])
    }

    /// Sequence `i`'s pooled vector (or, for `lastHiddenState`, its hidden states flattened row by row).
    public func pooled(_ kind: PooledOutput, row i: Int, mask: [Int32]) throws(RuntimeError) -> [Float] {
        if kind == .poolerOutput {
            guard poolerOutput != nil else { throw .unsupported(reason: "this model has no pooler; use mean_pooled") }
            return try Self.row(poolerOutput, i)
        }
        guard let hidden = lastHiddenState, hidden.shape.count == 3 else { throw .unsupported(reason: "the model produced no hidden states") }
        let length = hidden.shape[1], width = hidden.shape[2]
        let start = i * length * width
        if kind == .lastHiddenState { return Array(hidden.values[start..<(start + length * width)]) }
        var sum = [Float](repeating: 0, count: width)
        var count: Float = 0
        for position in 0..<length where position < mask.count && mask[position] != 0 {
            for j in 0..<width { sum[j] += hidden.values[start + position * width + j] }
            count += 1
        }
        return sum.map { $0 / max(count, 1) }
    }

    /// Softmax of `values`, computed stably (the largest value subtracted first).
    public static func softmax(_ values: [Float]) -> [Float] {
        guard let top = values.max() else { return [] }
        let exps = values.map { Float(exp(Double($0 - top))) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }
}

/// How a sequence classifier's logits become scores, decided as transformers' text-classification pipeline decides
/// it: `problem_type` regression leaves them as they are; multi-label classification, or a single output, takes a
/// sigmoid of each; otherwise a softmax over the classes.
public enum ScoreFunction: String, Sendable {
    case softmax, sigmoid, none

    public init(_ configuration: BERTConfiguration) {
        if configuration.problemType == "regression" {
            self = .none
        } else if configuration.problemType == "multi_label_classification" || configuration.numLabels == 1 {
            self = .sigmoid
        } else {
            self = .softmax
        }
    }

    /// The scores of one row of logits.
    public func scores(_ logits: [Float]) -> [Float] {
        switch self {
        case .softmax: return ModelOutputs.softmax(logits)
        case .sigmoid: return logits.map { Float(1 / (1 + exp(-Double($0)))) }
        case .none: return logits
        }
    }
}
