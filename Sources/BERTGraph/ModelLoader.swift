import TensorFormats

/// Turns an opened checkpoint into a typed `BERTModel`: recognises the naming family and prefixes from the stored
/// names, infers the configuration from shapes, merges config.json, binds every expected parameter strictly and
/// collects every problem into the load report.
public enum ModelLoader {
    /// Most encoder layers accepted (BERT-large has 24; the largest BERT-style encoders have under 100).
    public static let maximumEncoderLayers = 1_000
    /// Most Keras layer groups or `bertinspect.keras_layers` records read.
    public static let maximumKerasLayers = 10_000

    /// Loads `checkpoint`; problems with individual tensors go into the report, not into errors.
    /// Throws only when the tensors do not form any model bertinspect knows.
    public static func load(_ checkpoint: Checkpoint) throws -> BERTModel {
        let store = checkpoint.store
        var byName: [String: StoredTensor] = [:]
        byName.reserveCapacity(store.tensors.count)
        for tensor in store.tensors.reversed() { byName[tensor.name] = tensor }  // (the first of equal names stays)
        let names = byName.keys
        let family: NamingFamily = store.layout.isKeras3 ? .keras3
            : (store.tensors.contains { $0.name.utf8.contains(UInt8(ascii: "/")) } ? .tensorflow : .pytorch)
        let suffix = family == .tensorflow && store.tensors.contains(where: { $0.name.hasSuffix(":0") }) ? ":0" : ""
        var scheme = NamingScheme(family: family, mainPrefix: "", suffix: suffix)
        var configuration = BERTConfiguration()
        var report = LoadReport()
        let kerasConfig = KerasModelConfig(json: store.metadata["model_config"] ?? store.metadata[kerasArchiveConfigKey])
        // Keras 3 names a layer's group after the attribute or class that holds it (`cnn_layer1`, `layers/conv1d_1`);
        // config.json knows the layer by its own name, the `name` attribute of the group's `vars` (kept where the
        // configuration lists a layer of that name and it differs from the stored one).
        var kerasNames: [String: String] = [:]
        if family == .keras3, let kerasConfig, let groups = keras3Groups(store.metadata[keras3VarsKey]) {
            for group in groups where group.path.hasSuffix("/vars") {
                let stored = lastComponent(String(group.path.dropLast(5)))
                if let name = group.name, name != stored, kerasConfig.className(of: name) != nil { kerasNames[stored] = name }
            }
        }
        func configName(_ layer: String) -> String { kerasNames[layer] ?? layer }

        // 1. The BERT main layer: found by its word embeddings, its prefix taken from the stored name.
        var hasEncoder = false
        var hasPooler = false
        if let prefix = mainLayerPrefix(names: names, family: family, suffix: suffix) {
            hasEncoder = true
            scheme.mainPrefix = prefix
            scheme.gammaBeta = family == .pytorch && names.contains(prefix + "embeddings.LayerNorm.gamma")
            try inferShapes(&configuration, scheme: scheme, byName: byName, path: checkpoint.weightsPath)
            if let heads = store.metadata[StoreMetadataKey.attentionHeads].flatMap(Int.init), heads > 0 {
                configuration.numAttentionHeads = heads
                configuration.sources["num_attention_heads"] = .inferred
            }
            if store.layout == .tensorflowModelGarden {
                // The Model Garden's BERT "gelu" is tf.nn.gelu's tanh approximation, transformers' gelu_new.
                configuration.hiddenAct = "gelu_new"
            }
            hasPooler = names.contains(scheme.storedName(for: ParameterSpec(path: ["bert", "pooler", "dense", "weight"], shape: [], kind: .linearWeight)))
        }

        // 2. Heads, each found by its first parameter.
        var heads: [String] = []
        for (group, relative, pytorchName) in headMarkers {
            if family == .pytorch {
                if names.contains(pytorchName) { heads.append(group) }
            } else if let name = names.first(where: { $0.hasSuffix(relative + suffix) && ($0 == relative + suffix || $0.dropLast((relative + suffix).count).hasSuffix("/")) }) {
                scheme.headPrefixes[group] = String(name.dropLast((relative + suffix).count))
                heads.append(group)
            }
        }
        if heads.contains("classifier") {
            let probe = ParameterSpec(path: ["classifier", "weight"], shape: [], kind: .linearWeight)
            if let tensor = byName[scheme.storedName(for: probe)], tensor.shape.count == 2 {
                configuration.numLabels = family == .pytorch ? tensor.shape[0] : tensor.shape[1]
                configuration.sources["num_labels"] = .inferred
            }
        }

        // 3. Bind main layer and head parameters; what stays unused may be Keras layers.
        let config = isBERTConfig(checkpoint.config) ? checkpoint.config : nil
        if config == nil, let other = checkpoint.config {
            let type = other["model_type"]?.stringValue ?? "not a string"
            report.warnings.append("\(checkpoint.configPath ?? checkpoint.path): model_type is '\(type)', not 'bert'; this config.json is ignored and the tensors' shapes are used")
            report.ignoredConfig = true
        }
        var architecture = decideArchitecture(heads: heads, hasEncoder: hasEncoder, hasPooler: hasPooler, config: config)
        var specs: [ParameterSpec] = []
        if hasEncoder { specs += configuration.mainLayerParameters(pooler: hasPooler) }
        specs += configuration.headParameters(architecture)
        // Stored names of the BERT and head parameters, computed once (the Keras layers found below add their own).
        var storedNames = specs.map { scheme.storedName(for: $0) }
        var used = Set(storedNames)

        // 4. Keras layers outside BERT, from the file's layer list (or Keras-named tensors in a converted file).
        var kerasLayers: [KerasLayer] = []
        var topLevel: [TopLevelLayer] = []
        let groupOfMain = hasEncoder ? firstComponent(scheme.mainPrefix, family: family) : nil
        func tooManyLayers(_ count: Int?) -> GraphError {
            .unsupported(
                path: checkpoint.weightsPath,
                reason: "the file lists \(count.map(String.init) ?? "more than \(maximumKerasLayers)") Keras layers (layer groups or bertinspect.keras_layers records), more than the \(maximumKerasLayers) bertinspect reads")
        }
        let records: [KerasLayerRecord]?
        do { records = try KerasLayerRecord.decode(store.metadata[KerasLayerRecord.metadataKey], maximumRecords: maximumKerasLayers) } catch {
            throw tooManyLayers(error.count)
        }
        let layerGroups = store.layerGroups ?? records?.map { LayerGroup(name: $0.name, tensorNames: $0.weights.map(\.canonical)) }
        if let count = layerGroups?.count, count > maximumKerasLayers { throw tooManyLayers(count) }
        var recordClasses: [String: String] = [:]
        for record in records ?? [] where recordClasses[record.name] == nil { recordClasses[record.name] = record.className }
        var listedTopLevel = Set<TopLevelLayer>()
        if let groups = layerGroups {
            for group in groups {
                let layerName = family == .keras3 ? lastComponent(group.name) : group.name
                let className = kerasConfig?.className(of: configName(layerName)) ?? recordClasses[layerName]
                let unused = group.tensorNames.filter { !used.contains($0) }
                if group.tensorNames.isEmpty {
                    kerasLayers.append(KerasLayer(name: layerName, kind: .weightless, className: className ?? kerasClassName(layerName)))
                    topLevel.append(TopLevelLayer(name: layerName, className: className ?? kerasClassName(layerName), parameterPrefix: nil))
                    report.weightlessLayers.append(layerName)
                    continue
                }
                if group.tensorNames.contains(where: used.contains) || isTiedGroup(unused, used: used, family: family) {
                    if let layer = topLevelLayer(forGroup: group.name, heads: heads, mainGroup: groupOfMain, className: className) {
                        if listedTopLevel.insert(layer).inserted { topLevel.append(layer) }
                    }
                    continue
                }
                guard let (layer, layerSpecs, stored) = kerasLayer(named: layerName, tensors: unused.compactMap { byName[$0] }, className: className, family: family) else {
                    continue
                }
                kerasLayers.append(layer)
                topLevel.append(TopLevelLayer(name: layerName, className: layer.className, parameterPrefix: [layerName]))
                scheme.kerasLayers[layerName] = stored
                specs += layerSpecs
                storedNames += layerSpecs.map { scheme.storedName(for: $0) }
                used.formUnion(stored)
            }
        }
        if topLevel.isEmpty || layerGroups == nil || layerGroups?.allSatisfy({ $0.tensorNames == [$0.name] }) == true {
            topLevel = defaultTopLevel(architecture: architecture, hasEncoder: hasEncoder, tensorflow: family == .tensorflow)
        }
        if kerasLayers.contains(where: { $0.kind == .conv1D }) {
            architecture = hasEncoder ? .bertCNN : .kerasCNN
        } else if !hasEncoder {
            throw GraphError.unsupported(
                path: checkpoint.path,
                reason: "no BERT word embeddings ('…embeddings/word_embeddings/weight' or 'embeddings.word_embeddings.weight') and no Keras Conv1D head were found among its \(store.tensors.count) tensors"
                    + (kerasConfig.flatMap(codeLayerNote).map { "; its configuration also holds \($0)" } ?? ""))
        }
        if let note = kerasConfig.flatMap(codeLayerNote) { report.warnings.append("the Keras configuration holds \(note)") }

        // 5. Configuration from config.json / Keras model_config, checked against the shapes.
        mergeConfig(&configuration, config: config, kerasConfig: kerasConfig, tokenizerConfig: checkpoint.tokenizerConfig,
                        path: checkpoint.configPath ?? checkpoint.path, report: &report, hasEncoder: hasEncoder)
        if store.layout == .tensorflowModelGarden, configuration.sources["hidden_act"] == .assumed {
            report.warnings.append("hidden_act assumed 'gelu_new': the TensorFlow Model Garden's BERT 'gelu' is the tanh approximation (tf.nn.gelu approximate=True); a config.json beside the checkpoint says otherwise")
        }

        // 6. Strict binding.
        let frozen = FreezeState.decode(store.metadata[frozenMetadataKey])
        var bound: [BoundParameter] = []
        if !scheme.kerasLayers.isEmpty {
            // A Keras layer may share a name with a BERT or head group: take the names as the final scheme gives them.
            storedNames = specs.map { scheme.storedName(for: $0) }
        }
        for (spec, storedName) in zip(specs, storedNames) {
            guard let tensor = byName[storedName] else {
                report.missing.append((spec.name, storedName))
                continue
            }
            let expected = scheme.storedShape(for: spec)
            guard tensor.shape == expected else {
                report.shapeMismatches.append((storedName, expected, tensor.shape))
                continue
            }
            guard tensor.dtype.isFloatingPoint else {
                report.dtypeMismatches.append((storedName, tensor.dtype))
                continue
            }
            let layer = owningLayer(spec, topLevel: topLevel)
            var trainable = !frozen.contains { spec.path.starts(with: $0) }
            if let kerasConfig, !kerasConfig.isTrainable(layer: configName(layer)) { trainable = false }
            bound.append(BoundParameter(spec: spec, stored: tensor, trainable: trainable, layer: layer))
        }

        // 7. Everything else in the file: buffers, tied copies, or unexpected.
        var boundWeightNames: Set<String>?  // made when first needed: most files hold no tensor outside the model
        func copiesBoundWeight(_ name: String) -> Bool {
            if boundWeightNames == nil { boundWeightNames = Set(bound.map { weightName($0.stored.name, family: family) }) }
            return boundWeightNames!.contains(weightName(name, family: family))
        }
        for tensor in store.tensors where !used.contains(tensor.name) {
            if tensor.name.hasSuffix("position_ids") {
                report.ignoredBuffers.append(tensor.name)
            } else if family == .pytorch, tensor.name == "cls.predictions.decoder.weight" || tensor.name == "cls.predictions.decoder.bias" {
                report.tiedCopies.append(tensor.name)
            } else if family != .pytorch, copiesBoundWeight(tensor.name) {
                report.tiedCopies.append(tensor.name)
            } else {
                report.unexpected.append(tensor.name)
            }
        }

        var model = BERTModel(
            architecture: architecture, configuration: configuration, naming: scheme, hasPooler: hasPooler,
            parameters: bound, kerasLayers: kerasLayers, layers: topLevel, report: report, frozenPrefixes: frozen)
        // A full-model save records every layer's flag; a .keras archive does when its config lists the layers
        // (a functional or Sequential model; a subclassed model's config holds only its constructor arguments).
        model.trainableRecorded = store.metadata[frozenMetadataKey] != nil || store.layout == .kerasFullModel
            || (store.layout == .keras3Archive && kerasConfig?.listsLayers == true)
        model.recordedClass = kerasConfig?.modelClass
        model.kerasNames = kerasNames
        model.report.warnings += HeadInspection.warnings(for: model, store: store)
        return model
    }

    /// "Python code (Lambda layer 'x'), which bertinspect never runs: …", or nil when the configuration holds none.
    static func codeLayerNote(_ config: KerasModelConfig) -> String? {
        guard !config.codeLayers.isEmpty else { return nil }
        return "Python code (Lambda layer \(config.codeLayers.map { "'\($0)'" }.joined(separator: ", "))), which bertinspect never runs: only weights are read"
    }

    /// (TF head group, its first parameter's TF relative name, its PyTorch name).
    static let headMarkers: [(String, String, String)] = [
        ("classifier", "classifier/kernel", "classifier.weight"),
        ("mlm___cls", "mlm___cls/predictions/transform/dense/kernel", "cls.predictions.transform.dense.weight"),
        ("nsp___cls", "nsp___cls/seq_relationship/kernel", "cls.seq_relationship.weight"),
    ]

    /// The prefix before the main layer's names, chosen among all word-embedding tensors as the one with an encoder.
    static func mainLayerPrefix(names: Dictionary<String, StoredTensor>.Keys, family: NamingFamily, suffix: String) -> String? {
        let marker = family == .pytorch ? "embeddings.word_embeddings.weight" : "embeddings/word_embeddings/weight" + suffix
        let probe = family == .pytorch ? "encoder.layer.0.attention.self.query.weight" : "encoder/layer_._0/attention/self/query/kernel" + suffix
        let candidates = names.filter { $0.hasSuffix(marker) }.map { String($0.dropLast(marker.count)) }
            .filter { $0.isEmpty || $0.hasSuffix(family == .pytorch ? "." : "/") }
            .sorted()
        return candidates.first { names.contains($0 + probe) } ?? candidates.first
    }

    /// Vocabulary, width, depth, intermediate size, positions and token types from the stored shapes.
    static func inferShapes(_ configuration: inout BERTConfiguration, scheme: NamingScheme, byName: [String: StoredTensor],
                            path: String) throws(GraphError) {
        func tensor(_ path: [String], _ kind: ParameterKind) -> StoredTensor? {
            byName[scheme.storedName(for: ParameterSpec(path: path, shape: [], kind: kind))]
        }
        func set(_ field: String, _ value: Int) {
            configuration.setInteger(field, value)
            configuration.sources[field] = .inferred
        }
        if let word = tensor(["bert", "embeddings", "word_embeddings", "weight"], .embedding), word.shape.count == 2 {
            set("vocab_size", word.shape[0])
            set("hidden_size", word.shape[1])
        }
        if let positions = tensor(["bert", "embeddings", "position_embeddings", "weight"], .embedding), positions.shape.count == 2 {
            set("max_position_embeddings", positions.shape[0])
        }
        if let types = tensor(["bert", "embeddings", "token_type_embeddings", "weight"], .embedding), types.shape.count == 2 {
            set("type_vocab_size", types.shape[0])
        }
        var layers = 0
        while tensor(["bert", "encoder", "layer", String(layers), "attention", "self", "query", "weight"], .linearWeight) != nil {
            layers += 1
            guard layers <= maximumEncoderLayers else {
                throw .unsupported(path: path, reason: "the tensors describe more than \(maximumEncoderLayers) encoder layers, more than bertinspect accepts")
            }
        }
        set("num_hidden_layers", layers)
        if let intermediate = tensor(["bert", "encoder", "layer", "0", "intermediate", "dense", "weight"], .linearWeight), intermediate.shape.count == 2 {
            set("intermediate_size", scheme.family == .pytorch ? intermediate.shape[0] : intermediate.shape[1])
        }
    }

    static func decideArchitecture(heads: [String], hasEncoder: Bool, hasPooler: Bool, config: JSONValue?) -> Architecture {
        let declared = config?["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if heads.contains("mlm___cls") { return heads.contains("nsp___cls") ? .preTraining : .maskedLM }
        if heads.contains("classifier") {
            if declared.contains(where: { containsBytes($0.utf8, "TokenClassification".utf8) }) { return .tokenClassification }
            if declared.contains(where: { containsBytes($0.utf8, "SequenceClassification".utf8) }) { return .sequenceClassification }
            return hasPooler ? .sequenceClassification : .tokenClassification
        }
        return .bertModel
    }

    /// The top-level layer a Keras group holding BERT or a transformers head stands for.
    static func topLevelLayer(forGroup name: String, heads: [String], mainGroup: String?, className: String?) -> TopLevelLayer? {
        switch name {
        case mainGroup: return TopLevelLayer(name: name, className: className ?? "TFBertMainLayer", parameterPrefix: ["bert"])
        case "classifier": return TopLevelLayer(name: name, className: className ?? "Dense", parameterPrefix: ["classifier"])
        case "mlm___cls": return TopLevelLayer(name: name, className: "TFBertMLMHead", parameterPrefix: ["cls", "predictions"])
        case "nsp___cls": return TopLevelLayer(name: name, className: "TFBertNSPHead", parameterPrefix: ["cls", "seq_relationship"])
        default: return nil
        }
    }

    /// Top-level children as transformers names them, for files without a layer list: its TensorFlow classes for
    /// TF-named files (sharded `tf_model.h5`, TF-written safetensors), its PyTorch classes otherwise.
    static func defaultTopLevel(architecture: Architecture, hasEncoder: Bool, tensorflow: Bool) -> [TopLevelLayer] {
        var layers: [TopLevelLayer] = []
        if hasEncoder { layers.append(TopLevelLayer(name: "bert", className: tensorflow ? "TFBertMainLayer" : "BertModel", parameterPrefix: ["bert"])) }
        switch architecture {
        case .sequenceClassification, .tokenClassification:
            layers.append(TopLevelLayer(name: "dropout", className: "Dropout", parameterPrefix: nil))
            layers.append(TopLevelLayer(name: "classifier", className: tensorflow ? "Dense" : "Linear", parameterPrefix: ["classifier"]))
        case .preTraining where tensorflow:
            layers.append(TopLevelLayer(name: "nsp___cls", className: "TFBertNSPHead", parameterPrefix: ["cls", "seq_relationship"]))
            layers.append(TopLevelLayer(name: "mlm___cls", className: "TFBertMLMHead", parameterPrefix: ["cls", "predictions"]))
        case .preTraining:
            layers.append(TopLevelLayer(name: "cls", className: "BertPreTrainingHeads", parameterPrefix: ["cls"]))
        case .maskedLM:
            layers.append(TopLevelLayer(name: tensorflow ? "mlm___cls" : "cls", className: tensorflow ? "TFBertMLMHead" : "BertOnlyMLMHead",
                                        parameterPrefix: tensorflow ? ["cls", "predictions"] : ["cls"]))
        default: break
        }
        return layers
    }

    /// The name of the top-level layer owning `spec`: the longest matching parameter prefix (the first of equals).
    static func owningLayer(_ spec: ParameterSpec, topLevel: [TopLevelLayer]) -> String {
        var best: (name: String, length: Int)?
        for layer in topLevel {
            guard let prefix = layer.parameterPrefix, spec.path.starts(with: prefix) else { continue }
            if best == nil || prefix.count > best!.length { best = (layer.name, prefix.count) }
        }
        return best?.name ?? spec.path[0]
    }

    /// A Keras layer outside BERT from its unused tensors: Embedding, Conv1D or Dense by name and rank.
    static func kerasLayer(named name: String, tensors: [StoredTensor], className: String?, family: NamingFamily)
        -> (KerasLayer, [ParameterSpec], [String])?
    {
        func leaf(_ t: StoredTensor) -> String {
            let separator: Character = family == .pytorch ? "." : "/"
            let last = t.name.split(separator: separator).last.map(String.init) ?? t.name
            return last.hasSuffix(":0") ? String(last.dropLast(2)) : last
        }
        let kernel = tensors.first { ["kernel", "embeddings", "0", "weight"].contains(leaf($0)) }
        let bias = tensors.first { ["bias", "1"].contains(leaf($0)) }
        guard let kernel, tensors.count <= 2 else { return nil }
        let declared = className ?? kerasClassName(name)
        let isEmbedding = leaf(kernel) == "embeddings" || (bias == nil && declared == "Embedding")
        let s = kernel.shape
        let pytorch = family == .pytorch
        var specs: [ParameterSpec]
        let kind: KerasLayer.Kind
        if isEmbedding, s.count == 2 {
            kind = .embedding
            specs = [ParameterSpec(path: [name, "weight"], shape: s, kind: .embedding)]
        } else if s.count == 3 {
            kind = .conv1D
            specs = [ParameterSpec(path: [name, "weight"], shape: pytorch ? s : NamingScheme.transposition(.conv1dWeight).map { s[$0] }, kind: .conv1dWeight)]
        } else if s.count == 2 {
            kind = .dense
            specs = [ParameterSpec(path: [name, "weight"], shape: pytorch ? s : NamingScheme.transposition(.linearWeight).map { s[$0] }, kind: .linearWeight)]
        } else {
            return nil
        }
        var stored = [kernel.name]
        if let bias {
            specs.append(ParameterSpec(path: [name, "bias"], shape: bias.shape, kind: .bias))
            stored.append(bias.name)
        }
        return (KerasLayer(name: name, kind: kind, className: className ?? kind.rawValue), specs, stored)
    }

    /// Whether a group's unused tensors are all second copies of weights stored elsewhere (Keras lists a shared
    /// layer's weights under every layer that uses it).
    static func isTiedGroup(_ unused: [String], used: Set<String>, family: NamingFamily) -> Bool {
        let usedWeights = Set(used.map { weightName($0, family: family) })
        return unused.allSatisfy { usedWeights.contains(weightName($0, family: family)) }
    }

    /// A Keras-2 stored name without its layer group: the variable's own name, equal for every copy of it.
    static func weightName(_ name: String, family: NamingFamily) -> String {
        guard family == .tensorflow, let slash = name.firstIndex(of: "/") else { return name }
        return String(name[name.index(after: slash)...])
    }

    /// The top-level layer holding the main layer: the Keras group (TF) or `bert` (PyTorch `bert.` prefix).
    static func firstComponent(_ prefix: String, family: NamingFamily) -> String? {
        let separator: Character = family == .pytorch ? "." : "/"
        guard let end = prefix.firstIndex(of: separator) else { return nil }
        return String(prefix[..<end])
    }

    static func lastComponent(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    /// The Keras class a layer name was generated from (`conv1d_2` → `Conv1D`).
    static func kerasClassName(_ name: String) -> String {
        let base = name.split(separator: "_").filter { Int($0) == nil }.joined(separator: "_")
        let known = [
            "conv1d": "Conv1D", "dense": "Dense", "dropout": "Dropout", "embedding": "Embedding",
            "global_max_pooling1d": "GlobalMaxPooling1D", "input": "InputLayer", "bert": "TFBertMainLayer",
            "classifier": "Dense", "tf.concat": "TFOpLambda", "concatenate": "Concatenate", "flatten": "Flatten",
        ]
        return known[base] ?? "Layer"
    }
}
