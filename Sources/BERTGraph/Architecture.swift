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

    /// The transformers class name (PyTorch spelling) or the notebook's model name.
    public var className: String {
        switch self {
        case .bertModel: return "BertModel"
        case .sequenceClassification: return "BertForSequenceClassification"
        case .tokenClassification: return "BertForTokenClassification"
        case .preTraining: return "BertForPreTraining"
        case .maskedLM: return "BertForMaskedLM"
        case .bertCNN: return "BertIMDBEmbeddingModel (BERT + CNN head)"
        case .kerasCNN: return "CustomIMDBModel (Embedding + CNN head)"
        }
    }

    /// Whether the model contains a BERT main layer.
    public var hasEncoder: Bool { self != .kerasCNN }
}
