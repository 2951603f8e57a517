import TensorFormats

/// Writes a transformers `config.json` for a model whose checkpoint came without one.
public enum ConfigWriter {
    /// The config.json text: the configuration as read, inferred or assumed, in `BertConfig`'s field names.
    public static func configJSON(for model: BERTModel) -> String {
        let c = model.configuration
        func integer(_ value: Int) -> JSONValue { .integer(Int64(value)) }
        // `architectures` names a transformers class only: a Keras CNN model has none, so the key is left out.
        var members: [(String, JSONValue)] = model.architecture.transformersClass.map { [("architectures", .array([.string($0)]))] } ?? []
        members += [
            ("model_type", .string("bert")),
            ("attention_probs_dropout_prob", .number(0.1)),
            ("hidden_act", .string(c.hiddenAct)),
            ("hidden_dropout_prob", .number(0.1)),
            ("hidden_size", integer(c.hiddenSize)),
            ("initializer_range", .number(0.02)),
            ("intermediate_size", integer(c.intermediateSize)),
            ("layer_norm_eps", .number(c.layerNormEps)),
            ("max_position_embeddings", integer(c.maxPositionEmbeddings)),
            ("num_attention_heads", integer(c.numAttentionHeads)),
            ("num_hidden_layers", integer(c.numHiddenLayers)),
            ("pad_token_id", integer(0)),
            ("type_vocab_size", integer(c.typeVocabSize)),
            ("vocab_size", integer(c.vocabSize)),
        ]
        if let labels = c.numLabels {
            let names = (0..<labels).map { c.id2label[$0] ?? "LABEL_\($0)" }
            members.append(("id2label", .object(names.enumerated().map { (String($0.offset), .string($0.element)) })))
            members.append(("label2id", .object(names.enumerated().map { ($0.element, integer($0.offset)) })))
        }
        return JSONValue.object(members).serialized() + "\n"
    }
}
