/// What sits on top of (or instead of) the BERT main layer.
public enum Architecture: Sendable, Equatable {
    /// `BertModel` / `TFBertModel`: the main layer alone.
    case bertModel
    /// `BertForSequenceClassification`: pooler → dropout → `classifier`.
    case sequenceClassification
    /// `BertForTokenClassification`: no pooler; `classifier` on every token.
    case tokenClassification
    /// `BertForPreTraining`: masked-LM head (decoder tied to the word embeddings) and next-sentence head.
    case preTraining
    /// `BertForMaskedLM`: the masked-LM head alone, no pooler.
    case maskedLM
    /// The notebook's `BertIMDBEmbeddingModel`: BERT's last hidden state → Conv1D ×3 → max pool → Dense → Dense.
    case bertCNN
    /// The notebook's `CustomIMDBModel`: Embedding → Conv1D ×3 → max pool → Dense → Dense; no BERT.
    case kerasCNN

    /// The transformers class name (PyTorch spelling), or for a Keras model (whose class the weights do not record)
    /// a description of its shape; never a made-up class.
    public var className: String {
        transformersClass ?? (self == .bertCNN ? "Keras model (BERT + Conv1D head)" : "Keras model (Embedding + Conv1D head)")
    }

    /// The transformers class this architecture is, or nil for the notebook's Keras models, which are no transformers
    /// class (their own class name is recorded only in a full-model save's `model_config`).
    public var transformersClass: String? {
        switch self {
        case .bertModel: return "BertModel"
        case .sequenceClassification: return "BertForSequenceClassification"
        case .tokenClassification: return "BertForTokenClassification"
        case .preTraining: return "BertForPreTraining"
        case .maskedLM: return "BertForMaskedLM"
        case .bertCNN, .kerasCNN: return nil
        }
    }

    /// Whether the model contains a BERT main layer.
    public var hasEncoder: Bool { self != .kerasCNN }
}
