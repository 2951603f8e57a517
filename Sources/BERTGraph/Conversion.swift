import TensorFormats

/// The metadata key of a Keras 3 file's `vars` groups (written by the HDF5 reader; the graph only carries it).
let keras3VarsKey = "bertinspect.keras3_vars"
/// The config.json and metadata.json of a Keras 3 `.keras` archive, as its store hands them over; a conversion
/// carries them, so that a converted copy can become a `.keras` archive again.
let kerasArchiveConfigKey = StoreMetadataKey.kerasArchiveConfig
let kerasArchiveMetadataKey = StoreMetadataKey.kerasArchiveMetadata

/// The `vars` groups recorded under `keras3VarsKey`, or nil when there is no valid record.
func keras3Groups(_ text: String?) -> [(path: String, name: String?)]? {
    guard let text, let list = try? JSONParser.parse(text).arrayValue else { return nil }
    var groups: [(path: String, name: String?)] = []
    for item in list {
        guard let path = item["path"]?.stringValue, !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return nil }
        groups.append((path, item["name"]?.stringValue))
    }
    return groups
}

/// The format a conversion writes.
public enum ConversionTarget: String, Sendable {
    /// safetensors with HF PyTorch names and layouts (`{"format": "pt"}`).
    case safetensors
    /// HF `tf_model.h5` (Keras-2 weights) with TF names and layouts; the notebook's Keras models keep their layers.
    case h5
}

extension Conversion {
    /// The config.json a `.keras` archive of `model` gets: the Keras 3 configuration its source carried (a `.keras`
    /// archive, or a copy converted from one), with each layer's `trainable` flag set from the model's recorded
    /// state. Nil when the source carries none: Keras 3 cannot rebuild a model from weights alone.
    public static func kerasArchiveConfig(_ model: BERTModel, store: any TensorStore) -> String? {
        guard let config = store.metadata[kerasArchiveConfigKey] else { return nil }
        guard model.trainableRecorded, KerasModelConfig(json: config)?.listsLayers == true else { return config }
        return KerasModelConfig.settingTrainable(config, Freezing.trainableFlags(model, frozen: FreezeState.frozenParameters(model))) ?? config
    }
}

/// Plans conversions of a loaded model into another checkpoint family: every bound parameter becomes one output
/// tensor named by the target naming scheme, with the layout change between the two families' layouts.
public enum Conversion {
    /// The transformers TF class scope (`tf_bert_for_sequence_classification`) used in `tf_model.h5` names.
    public static func tensorflowScope(_ architecture: Architecture) -> String {
        switch architecture {
        case .bertModel: return "tf_bert_model"
        case .sequenceClassification: return "tf_bert_for_sequence_classification"
        case .tokenClassification: return "tf_bert_for_token_classification"
        case .preTraining: return "tf_bert_for_pre_training"
        case .maskedLM: return "tf_bert_for_masked_lm"
        case .bertCNN: return "bert_imdb_embedding_model"
        case .kerasCNN: return "custom_imdb_model"
        }
    }

    /// Plans writing `model` as `target`, with elements converted to `dtype` (nil keeps each tensor's type;
    /// bf16 is widened to f32 for HDF5, which has no bf16 that Keras reads). `metadata` is added to the output's.
    public static func plan(_ model: BERTModel, store: any TensorStore, target: ConversionTarget, dtype: DType?,
                            metadata: [String: String]) throws -> WritePlan {
        guard model.report.isComplete else {
            throw GraphError.incomplete(path: store.path, problem: "cannot convert an incomplete model: " + (model.report.problems.first ?? ""))
        }
        // Lossless means every stored tensor lands somewhere: a tensor that maps to no parameter (an extra layer, a
        // second copy under another prefix) would be dropped, so the conversion is refused instead.
        guard model.report.unexpected.isEmpty else {
            let names = model.report.unexpected
            let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
            throw GraphError.incomplete(
                path: store.path,
                problem: "cannot convert losslessly: \(names.count) stored tensor(s) map to no parameter of the \(model.architecture.className) and would be dropped: \(shown)")
        }
        var output = metadata
        // A recorded trainable state (bertinspect's record, or a Keras full model's flags) travels as bertinspect's
        // record; "[]" records that nothing is frozen, so the state stays known.
        if model.trainableRecorded {
            output[frozenMetadataKey] = FreezeState.encode(FreezeState.compress(FreezeState.frozenParameters(model), model: model)) ?? "[]"
        }
        for key in ["model_config", "training_config", "keras_version", "backend", keras3VarsKey, kerasArchiveConfigKey, kerasArchiveMetadataKey] {
            if let value = store.metadata[key] { output[key] = value }
        }
        switch target {
        case .safetensors:
            return safetensorsPlan(model, store: store, dtype: dtype, metadata: output)
        case .h5:
            return try h5Plan(model, store: store, dtype: dtype.map { $0 == .bf16 ? .f32 : $0 }, metadata: output)
        }
    }

    private static func safetensorsPlan(_ model: BERTModel, store: any TensorStore, dtype: DType?, metadata: [String: String]) -> WritePlan {
        let target = NamingScheme(family: .pytorch, mainPrefix: model.architecture == .bertModel ? "" : "bert.")
        var metadata = metadata
        metadata["format"] = "pt"
        if model.architecture == .bertCNN || model.architecture == .kerasCNN {
            metadata[KerasLayerRecord.metadataKey] = KerasLayerRecord.encode(kerasRecords(model, store: store))
        }
        let entries = model.parameters.map { parameter in
            WritePlan.Entry(
                name: target.storedName(for: parameter.spec), dtype: dtype ?? parameter.stored.dtype,
                shape: parameter.spec.shape, source: parameter.stored, layout: model.naming.layoutChange(for: parameter.spec, to: target))
        }
        return WritePlan(entries: entries, metadata: metadata)
    }

    private static func h5Plan(_ model: BERTModel, store: any TensorStore, dtype: DType?, metadata: [String: String]) throws -> WritePlan {
        var metadata = metadata
        metadata["format"] = nil
        metadata["backend"] = metadata["backend"] ?? "tensorflow"
        metadata["keras_version"] = metadata["keras_version"] ?? "2.19.0"
        let byName = Dictionary(model.parameters.map { ($0.spec.name, $0) }, uniquingKeysWith: { a, _ in a })
        var entries: [WritePlan.Entry] = []
        var groups: [LayerGroup] = []
        let target = NamingScheme(family: .tensorflow, mainPrefix: "", suffix: ":0")

        func add(_ parameter: BoundParameter, group: String, weightName: String) {
            entries.append(WritePlan.Entry(
                name: group.isEmpty ? weightName : group + "/" + weightName, dtype: dtype ?? (parameter.stored.dtype == .bf16 ? .f32 : parameter.stored.dtype),
                shape: target.storedShape(for: parameter.spec), source: parameter.stored,
                layout: model.naming.layoutChange(for: parameter.spec, to: target)))
        }

        if let groups = keras3Groups(metadata[keras3VarsKey]) {
            // Back to Keras 3's own layout: datasets at the paths the record kept, in the `vars` groups it listed.
            metadata["backend"] = nil
            metadata["keras_version"] = nil
            for record in kerasRecords(model, store: store) {
                for (canonical, weightName) in record.weights {
                    guard let parameter = byName[canonical] else {
                        throw GraphError.incomplete(path: store.path, problem: "the Keras layer record names '\(canonical)', which the model lacks")
                    }
                    add(parameter, group: "", weightName: weightName)
                }
            }
            var plan = WritePlan(entries: entries, metadata: metadata)
            plan.keras3Groups = groups
            return plan
        }
        if model.architecture == .bertCNN || model.architecture == .kerasCNN {
            for record in kerasRecords(model, store: store) {
                for (canonical, weightName) in record.weights {
                    guard let parameter = byName[canonical] else {
                        throw GraphError.incomplete(path: store.path, problem: "the Keras layer record names '\(canonical)', which the model lacks")
                    }
                    add(parameter, group: record.name, weightName: weightName)
                }
                groups.append(LayerGroup(name: record.name, tensorNames: record.weights.map(\.weightName)))
            }
            let full = metadata["model_config"] != nil
            return WritePlan(entries: entries, groups: groups, metadata: metadata, weightsGroup: full ? "model_weights" : nil)
        }

        let scheme = NamingScheme.tensorflowH5(scope: tensorflowScope(model.architecture))
        var order = ["bert"]
        switch model.architecture {
        case .sequenceClassification, .tokenClassification: order.append("classifier")
        case .preTraining: order += ["nsp___cls", "mlm___cls"]
        case .maskedLM: order.append("mlm___cls")
        default: break
        }
        for group in order {
            var names: [String] = []
            var members = model.parameters.filter { NamingScheme.tensorflowRelativeName($0.spec).group ?? "bert" == group }
            if group == "mlm___cls" {
                // Keras lists the shared input embeddings again under the MLM head, and transformers expects them there.
                members += model.parameters.filter { $0.spec.path.starts(with: ["bert", "embeddings"]) }
            }
            for parameter in members {
                // A weight's name inside any group is its stored name without its own group: the embeddings Keras
                // lists again under `mlm___cls` keep `tf_bert_for_pre_training/bert/embeddings/…`.
                let stored = scheme.storedName(for: parameter.spec)
                let weightName = stored.firstIndex(of: "/").map { String(stored[stored.index(after: $0)...]) } ?? stored
                add(parameter, group: group, weightName: weightName)
                names.append(weightName)
            }
            groups.append(LayerGroup(name: group, tensorNames: names))
        }
        return WritePlan(entries: entries, groups: groups, metadata: metadata)
    }

    /// The Keras layers of a notebook model with their original weight names: from the file's own layer list
    /// (HDF5), from a record in its metadata (converted safetensors), or Keras' functional defaults.
    static func kerasRecords(_ model: BERTModel, store: any TensorStore) -> [KerasLayerRecord] {
        if let records = (try? KerasLayerRecord.decode(store.metadata[KerasLayerRecord.metadataKey])) ?? nil { return records }
        let canonicalByStored = Dictionary(model.parameters.map { ($0.stored.name, $0.spec.name) }, uniquingKeysWith: { a, _ in a })
        if let groups = store.layerGroups, model.naming.family == .keras3 {
            // Keras 3 weights are named by their dataset paths (`cnn_layer1/vars/0`), kept whole.
            var classes: [String: String] = [:]
            for layer in model.layers where classes[layer.name] == nil { classes[layer.name] = layer.className }
            return groups.map { group in
                let weights = group.tensorNames.compactMap { stored in canonicalByStored[stored].map { ($0, stored) } }
                let name = ModelLoader.lastComponent(group.name)
                return KerasLayerRecord(name: name, className: classes[name] ?? "Layer", weights: weights)
            }
        }
        if let groups = store.layerGroups, model.naming.family == .tensorflow {
            var classes: [String: String] = [:]
            for layer in model.layers where classes[layer.name] == nil { classes[layer.name] = layer.className }
            return groups.map { group in
                let className = classes[group.name] ?? "Layer"
                let weights = group.tensorNames.compactMap { stored -> (String, String)? in
                    guard let canonical = canonicalByStored[stored] else { return nil }
                    return (canonical, String(stored.dropFirst(group.name.count + 1)))
                }
                return KerasLayerRecord(name: group.name, className: className, weights: weights)
            }
        }
        let functional = NamingScheme(family: .tensorflow, mainPrefix: "bert/", suffix: ":0")
        return model.layers.map { layer in
            let weights = model.parameters.filter { $0.layer == layer.name }.map { parameter -> (String, String) in
                if parameter.spec.path.first == "bert" { return (parameter.spec.name, functional.storedName(for: parameter.spec)) }
                let leaf: String
                switch parameter.spec.kind {
                case .embedding: leaf = "embeddings"
                case .bias: leaf = "bias"
                default: leaf = "kernel"
                }
                return (parameter.spec.name, "\(layer.name)/\(leaf):0")
            }
            return KerasLayerRecord(name: layer.name, className: layer.className, weights: weights)
        }
    }
}
