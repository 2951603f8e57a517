import TensorFormats

extension ModelLoader {
    /// Whether config.json describes a BERT: `model_type` "bert" or absent. Another model's config (a GPT-2
    /// config.json left beside BERT weights) is ignored with a warning, and the shapes decide.
    static func isBERTConfig(_ config: JSONValue?) -> Bool {
        guard let type = config?["model_type"] else { return true }
        return type.stringValue == "bert"
    }

    /// Fills what shapes cannot tell from config.json (or the BERT config inside a Keras `model_config`), and
    /// warns where config.json disagrees with the stored shapes or is unusable: the tensors win, and only tensors
    /// that cannot form a model stop the load. Every warning names `path`, the file the configuration came from.
    static func mergeConfig(
        _ configuration: inout BERTConfiguration, config: JSONValue?, kerasConfig: KerasModelConfig?,
        tokenizerConfig: JSONValue?, path: String, report: inout LoadReport, hasEncoder: Bool
    ) {
        var source = config ?? kerasConfig?.bertConfig
        if let given = source, given.objectValue == nil {
            report.warnings.append("\(path): not a JSON object; ignored, the tensors' shapes are used")
            source = nil
        }
        guard hasEncoder else { return }
        for field in BERTConfiguration.fieldNames {
            guard let value = source?[field] else { continue }
            switch field {
            case "layer_norm_eps":
                if let eps = value.doubleValue, eps > 0, eps < 1 {
                    configuration.layerNormEps = eps
                    configuration.sources[field] = .read
                } else {
                    report.warnings.append("\(path): layer_norm_eps is not a number between 0 and 1; ignored")
                }
            case "hidden_act":
                if let act = value.stringValue {
                    configuration.hiddenAct = act
                    configuration.sources[field] = .read
                } else {
                    report.warnings.append("\(path): hidden_act is not a string; ignored")
                }
            default:
                guard let number = value.intValue, number >= 0, number < 1 << 31 else {
                    report.warnings.append("\(path): \(field) is not a non-negative integer; ignored")
                    continue
                }
                if configuration.sources[field] == .inferred {
                    if configuration.integer(field) != number {
                        report.warnings.append("\(path): \(field) = \(number), but the tensors say \(configuration.integer(field) ?? 0); the tensors are used")
                    }
                } else {
                    configuration.setInteger(field, number)
                    configuration.sources[field] = .read
                }
            }
        }
        // Settings transformers' BertModel honours that change what the encoder computes.
        if let position = source?["position_embedding_type"]?.stringValue, position != "absolute" {
            configuration.variantSettings.append("position_embedding_type: \(position)")
        }
        for flag in ["is_decoder", "add_cross_attention"] where source?[flag]?.boolValue == true {
            configuration.variantSettings.append("\(flag): true")
        }
        configuration.problemType = source?["problem_type"]?.stringValue
        if let labels = source?["id2label"]?.objectValue {
            for (key, value) in labels.prefix(maximumLabels) {
                if let index = Int(key), let label = value.stringValue { configuration.id2label[index] = label }
            }
        }
        let assumedHeads = configuration.hiddenSize % 64 == 0 && configuration.hiddenSize >= 64 ? configuration.hiddenSize / 64 : 1
        if configuration.sources["num_attention_heads"] == nil {
            configuration.numAttentionHeads = assumedHeads
            configuration.sources["num_attention_heads"] = .assumed
            report.warnings.append("num_attention_heads assumed to be \(assumedHeads) (hidden_size / 64): 2-D shapes do not reveal it; add config.json")
        } else if configuration.numAttentionHeads <= 0 || configuration.hiddenSize % configuration.numAttentionHeads != 0 {
            report.warnings.append("\(path): num_attention_heads = \(configuration.numAttentionHeads) does not divide hidden_size = \(configuration.hiddenSize); assumed \(assumedHeads) instead")
            configuration.numAttentionHeads = assumedHeads
            configuration.sources["num_attention_heads"] = .assumed
        }
        for field in ["layer_norm_eps", "hidden_act"] where configuration.sources[field] == nil {
            configuration.sources[field] = .assumed
        }
        if let lower = tokenizerConfig?["do_lower_case"]?.boolValue { configuration.doLowerCase = lower }
    }

    /// Most `id2label` entries read (a BERT classifier has a handful; the rest would only cost memory).
    static let maximumLabels = 100_000
}
