import TensorFormats

extension ModelLoader {
    /// Fills what shapes cannot tell from config.json (or the BERT config inside a Keras `model_config`), and
    /// warns where config.json disagrees with the stored shapes, which win.
    static func mergeConfig(
        _ configuration: inout BERTConfiguration, config: JSONValue?, kerasConfig: KerasModelConfig?,
        tokenizerConfig: JSONValue?, path: String, report: inout LoadReport, hasEncoder: Bool
    ) throws {
        let source = config ?? kerasConfig?.bertConfig
        if let source, source.objectValue == nil {
            throw GraphError.invalidConfig(path: path, reason: "config.json is not a JSON object")
        }
        guard hasEncoder else { return }
        for field in BERTConfiguration.fieldNames {
            guard let value = source?[field] else { continue }
            if field == "layer_norm_eps" {
                guard let eps = value.doubleValue, eps > 0, eps < 1 else {
                    throw GraphError.invalidConfig(path: path, reason: "layer_norm_eps must be a number between 0 and 1")
                }
                configuration.layerNormEps = eps
                configuration.sources[field] = .read
                continue
            }
            if field == "hidden_act" {
                guard let act = value.stringValue else { throw GraphError.invalidConfig(path: path, reason: "hidden_act must be a string") }
                configuration.hiddenAct = act
                configuration.sources[field] = .read
                continue
            }
            guard let number = value.intValue, number >= 0, number < 1 << 31 else {
                throw GraphError.invalidConfig(path: path, reason: "\(field) must be a non-negative integer")
            }
            if configuration.sources[field] == .inferred {
                if configuration.integer(field) != number {
                    report.warnings.append("config.json says \(field) = \(number), but the tensors say \(configuration.integer(field) ?? 0); the tensors are used")
                }
            } else {
                configuration.setInteger(field, number)
                configuration.sources[field] = .read
            }
        }
        if let labels = source?["id2label"]?.objectValue {
            for (key, value) in labels {
                if let index = Int(key), let label = value.stringValue { configuration.id2label[index] = label }
            }
        }
        if configuration.sources["num_attention_heads"] == nil {
            let heads = configuration.hiddenSize % 64 == 0 && configuration.hiddenSize >= 64 ? configuration.hiddenSize / 64 : 1
            configuration.numAttentionHeads = heads
            configuration.sources["num_attention_heads"] = .assumed
            report.warnings.append("num_attention_heads assumed to be \(heads) (hidden_size / 64): 2-D shapes do not reveal it; add config.json")
        }
        guard configuration.numAttentionHeads > 0, configuration.hiddenSize % configuration.numAttentionHeads == 0 else {
            throw GraphError.invalidConfig(
                path: path, reason: "num_attention_heads = \(configuration.numAttentionHeads) does not divide hidden_size = \(configuration.hiddenSize)")
        }
        for field in ["layer_norm_eps", "hidden_act"] where configuration.sources[field] == nil {
            configuration.sources[field] = .assumed
        }
        if let lower = tokenizerConfig?["do_lower_case"]?.boolValue { configuration.doLowerCase = lower }
    }
}
