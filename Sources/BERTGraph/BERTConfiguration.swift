import TensorFormats

/// Where a configuration value came from.
public enum ConfigSource: String, Sendable, Codable {
    /// Read from config.json (or a Keras `model_config`).
    case read
    /// Derived from tensor shapes.
    case inferred
    /// Neither: a BERT default was assumed.
    case assumed
}

/// The hyper-parameters of a BERT encoder and its head, with the source of each.
///
/// Field names follow transformers' `BertConfig`.
public struct BERTConfiguration: Sendable, Equatable {
    public var vocabSize = 0
    public var hiddenSize = 0
    public var numHiddenLayers = 0
    public var numAttentionHeads = 0
    public var intermediateSize = 0
    public var maxPositionEmbeddings = 0
    public var typeVocabSize = 0
    /// Width of the classification head, when there is one.
    public var numLabels: Int?
    public var layerNormEps = 1e-12
    public var hiddenAct = "gelu"
    /// Label names by class index (from config.json), when known.
    public var id2label: [Int: String] = [:]
    /// Whether the text is lower-cased before WordPiece (from tokenizer_config.json), when known.
    public var doLowerCase: Bool?
    /// config.json settings that change the encoder's computation away from the original BERT, as config.json
    /// spells them (`position_embedding_type: relative_key`, `is_decoder: true`, `add_cross_attention: true`); empty
    /// for a plain BERT. The runtime refuses to compute such a model rather than give other outputs.
    public var variantSettings: [String] = []
    /// config.json's `problem_type` (`single_label_classification`, `multi_label_classification`, `regression`),
    /// which decides how a sequence classifier's logits become scores; nil when not recorded.
    public var problemType: String?
    /// Source of each field, keyed by its config.json name.
    public var sources: [String: ConfigSource] = [:]

    public init() {}

    /// The shape-derived and config-only fields in config.json order, for rendering.
    public static let fieldNames = [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings", "type_vocab_size", "num_labels", "layer_norm_eps", "hidden_act",
    ]

    /// The integer value of a field by its config.json name.
    public func integer(_ field: String) -> Int? {
        switch field {
        case "vocab_size": return vocabSize
        case "hidden_size": return hiddenSize
        case "num_hidden_layers": return numHiddenLayers
        case "num_attention_heads": return numAttentionHeads
        case "intermediate_size": return intermediateSize
        case "max_position_embeddings": return maxPositionEmbeddings
        case "type_vocab_size": return typeVocabSize
        case "num_labels": return numLabels
        default: return nil
        }
    }

    mutating func setInteger(_ field: String, _ value: Int) {
        switch field {
        case "vocab_size": vocabSize = value
        case "hidden_size": hiddenSize = value
        case "num_hidden_layers": numHiddenLayers = value
        case "num_attention_heads": numAttentionHeads = value
        case "intermediate_size": intermediateSize = value
        case "max_position_embeddings": maxPositionEmbeddings = value
        case "type_vocab_size": typeVocabSize = value
        case "num_labels": numLabels = value
        default: break
        }
    }

    /// Size of one attention head.
    public var headSize: Int { numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0 }
}
