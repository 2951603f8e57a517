import TensorFormats

/// One node of the summary tree: a layer or module with its parameter counts.
public struct SummaryNode: Sendable, Equatable {
    public var name: String
    public var type: String
    public var parameters: Int
    /// Parameters that train; nil when the file does not record it.
    public var trainableParameters: Int?
    /// A short description of the module's dimensions (`32 → 2`, `1000 × 32`), when it has one.
    public var dims: String?
    /// The same dimensions as numbers (`[32, 2]`: in, out; `[1000, 32]`; Conv1D `[width, in, out]`).
    public var shape: [Int]?
    public var children: [SummaryNode]

    /// true, false, or nil when only some parameters train or the file does not say.
    public var trainable: Bool? {
        guard let trainableParameters else { return nil }
        if trainableParameters == parameters { return true }
        if trainableParameters == 0 { return false }
        return nil
    }
}

/// How many parameters one stored dtype holds.
public struct DTypeCount: Sendable, Equatable {
    public var dtype: DType
    public var parameters: Int
}

/// One stored tensor as `summary --tensors` lists it.
public struct TensorRow: Sendable, Equatable {
    public var storedName: String
    /// The canonical (HF PyTorch) name, or a note (`buffer`, `tied copy`, `unused`).
    public var canonicalName: String
    public var dtype: DType
    public var shape: [Int]
    public var bytes: Int
}

/// What `bertinspect summary` reports about a checkpoint; built from a loaded model, rendered by the executable.
public struct ModelSummary: Sendable {
    public static let schema = "bertinspect.summary/1"

    public var path: String
    /// The weights file (or index) that was read: PATH itself, or the file chosen in a model folder.
    public var weightsFile: String
    /// Other weights files in that folder, not read.
    public var otherWeights: [String]
    public var format: String
    public var layout: String
    public var naming: String
    public var architecture: Architecture
    /// `architecture` as shown: the transformers class, or the recorded Keras class and the model's shape.
    public var architectureName: String
    public var configuration: BERTConfiguration
    public var hasEncoder: Bool
    public var total: Int
    /// Trainable and non-trainable parameters; nil when the file does not record which parameters train.
    public var trainable: Int?
    public var nonTrainable: Int?
    /// Bytes of all stored tensor data (buffers and tied copies included).
    public var bytes: Int
    /// Bytes of the counted parameters: each parameter's values times its stored dtype's size (what Keras prints
    /// beside "Total params").
    public var parameterBytes: Int
    /// Bytes of the trainable parameters, when recorded.
    public var trainableBytes: Int?
    /// Values stored a second time for a tied weight (the MLM decoder, Keras' shared embeddings), counted once.
    public var tiedValues: Int
    /// The stored names of those second copies.
    public var tiedNames: [String]
    public var fileSize: Int
    /// Parameter count per stored dtype, by dtype name.
    public var dtypes: [DTypeCount]
    public var layers: [SummaryNode]
    public var warnings: [String]
    /// Every stored tensor, in file order; empty unless asked for (`listingTensors`).
    public var tensors: [TensorRow]
    /// How many tensors the file stores.
    public var tensorCount: Int
    public var frozen: [String]
    /// What an ONNX file's graph holds (IR version, opsets, producer, inputs, outputs, operator counts), as labelled
    /// lines; empty for weights-only formats.
    public var graph: [(label: String, value: String)]

    /// Summarises `model`, loaded from `checkpoint`; `listingTensors` also lists every stored tensor (`--tensors`).
    public init(model: BERTModel, checkpoint: Checkpoint, listingTensors: Bool = true) {
        let store = checkpoint.store
        path = checkpoint.path
        weightsFile = checkpoint.weightsPath
        otherWeights = checkpoint.otherWeights
        format = store.layout.container
        var layout = store.layout == .safetensors ? "metadata format '\(store.metadata["format"] ?? "none")'" : store.layout.rawValue
        if let sharded = store as? ShardedStore { layout += ", sharded in \(sharded.shards.count) files" }
        self.layout = layout
        graph = [("IR version", "onnx.ir_version"), ("Opsets", "onnx.opsets"), ("Producer", "onnx.producer"), ("Inputs", "onnx.inputs"),
                 ("Outputs", "onnx.outputs"), ("Nodes", "onnx.nodes"), ("Operators", "onnx.ops")]
            .compactMap { label, key in store.metadata[key].map { (label, $0) } }
        naming = model.naming.family.rawValue
        architecture = model.architecture
        architectureName = model.architectureName
        configuration = model.configuration
        hasEncoder = model.architecture.hasEncoder
        let counts = model.parameterCounts
        total = counts.total
        trainable = model.trainableRecorded ? counts.trainable : nil
        nonTrainable = model.trainableRecorded ? counts.nonTrainable : nil
        bytes = store.tensors.reduce(0) { $0 + $1.byteCount }
        var parameterBytes = 0, trainableBytes = 0
        var dtypes: [DTypeCount] = []
        // Top-level layer → indices of the parameters it owns, in binding order.
        var owned = [[Int]](repeating: [], count: model.layers.count)
        let layerNames = model.layers.map(\.name)
        model.parameters.withUnsafeBufferPointer { parameters in
            for index in parameters.indices {
                let count = parameters[index].spec.elementCount, dtype = parameters[index].stored.dtype
                parameterBytes += count * dtype.size
                if parameters[index].trainable { trainableBytes += count * dtype.size }
                if let known = dtypes.firstIndex(where: { $0.dtype == dtype }) {
                    dtypes[known].parameters += count
                } else {
                    dtypes.append(DTypeCount(dtype: dtype, parameters: count))
                }
                for layer in layerNames.indices where layerNames[layer] == parameters[index].layer { owned[layer].append(index) }
            }
        }
        self.parameterBytes = parameterBytes
        self.trainableBytes = model.trainableRecorded ? trainableBytes : nil
        self.dtypes = dtypes.sorted { $0.dtype.rawValue < $1.dtype.rawValue }
        tiedNames = model.report.tiedCopies
        if tiedNames.isEmpty {
            tiedValues = 0
        } else {
            let tied = Set(model.report.tiedCopies)
            tiedValues = store.tensors.filter { tied.contains($0.name) }.reduce(0) { $0 + $1.elementCount }
        }
        fileSize = store.fileSize
        layers = model.layers.indices.map {
            Self.node(for: model.layers[$0], all: model.parameters, owned: owned[$0], recorded: model.trainableRecorded)
        }
        frozen = model.frozenPrefixes.map { $0.joined(separator: ".") }

        let report = model.report
        var warnings = report.problems
        if !checkpoint.otherWeights.isEmpty {
            warnings.append("the folder also holds \(checkpoint.otherWeights.joined(separator: ", ")), not read; pass a file to read it")
        }
        if !model.configuration.variantSettings.isEmpty {
            warnings.append("config.json sets \(model.configuration.variantSettings.joined(separator: ", ")): a BERT variant whose outputs run, verify, eval, bench and export do not compute (they refuse it); summary, diff and convert read its tensors as usual")
        }
        if !report.unexpected.isEmpty {
            warnings.append("\(report.unexpected.count) stored tensor(s) nothing uses: " + Self.list(report.unexpected))
        }
        if !report.ignoredBuffers.isEmpty {
            warnings.append("buffer(s) ignored, not parameters: " + Self.list(report.ignoredBuffers))
        }
        if !store.unlistedNames.isEmpty, store.layout == .onnx {
            warnings.append("\(store.unlistedNames.count) initializer(s) are graph constants, not parameters, and were not read: " + Self.list(store.unlistedNames))
        } else if !store.unlistedNames.isEmpty {
            warnings.append("\(store.unlistedNames.count) dataset(s) outside the layer list were not read (optimizer state or similar): " + Self.list(store.unlistedNames))
        }
        warnings += report.warnings
        if !model.trainableRecorded {
            warnings.append("trainable state not recorded: this format stores no trainable flags (Keras counts them on the model in memory, after e.g. bert.trainable = False), so they are shown as '?'; bertinspect freeze records them")
        }
        self.warnings = warnings

        tensorCount = store.tensors.count
        guard listingTensors else {
            tensors = []
            return
        }
        var canonical: [String: String] = [:]
        for parameter in model.parameters { canonical[parameter.stored.name] = parameter.spec.name }
        for name in report.ignoredBuffers { canonical[name] = "(buffer, ignored)" }
        for name in report.tiedCopies { canonical[name] = "(tied copy)" }
        tensors = store.tensors.map {
            TensorRow(storedName: $0.name, canonicalName: canonical[$0.name] ?? "(unused)", dtype: $0.dtype, shape: $0.shape, bytes: $0.byteCount)
        }
    }

    static func list(_ names: [String]) -> String {
        names.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
    }

    /// The subtree of a top-level layer, built from the canonical paths of the parameters it owns (`owned`: indices
    /// into `all`).
    static func node(for layer: TopLevelLayer, all: [BoundParameter], owned: [Int], recorded: Bool) -> SummaryNode {
        guard let prefix = layer.parameterPrefix else {
            return SummaryNode(name: layer.name, type: layer.className, parameters: 0, trainableParameters: 0, dims: nil, shape: nil, children: [])
        }
        var root = build(name: layer.name, type: layer.className, depth: prefix.count, all: all, members: owned, recorded: recorded)
        if root.dims == nil, owned.count <= 2 {
            let own = owned.map { all[$0] }
            (root.dims, root.shape) = (dims(of: own), shape(of: own))
        }
        return root
    }

    /// The node for `members` (indices into `all`, so that the recursion moves integers, not parameters).
    private static func build(name: String, type: String, depth: Int, all: [BoundParameter], members: [Int], recorded: Bool) -> SummaryNode {
        var children: [SummaryNode] = []
        // Children in first-seen order. A module has a handful of children, so a linear search over short keys
        // costs less than hashing every parameter's key.
        var groups: [(key: String, members: [Int])] = []
        for i in members {
            let path = all[i].spec.path
            guard path.count > depth + 1 else { continue }
            let isLayer = path[depth] == "layer" && path.count > depth + 2 && Int(path[depth + 1]) != nil
            let key = isLayer ? "layer." + path[depth + 1] : path[depth]
            if let last = groups.indices.last, groups[last].key == key {
                groups[last].members.append(i)
            } else if let found = groups.firstIndex(where: { $0.key == key }) {
                groups[found].members.append(i)
            } else {
                groups.append((key, [i]))
            }
        }
        for (key, childMembers) in groups {
            let childDepth = depth + (key.hasPrefix("layer.") ? 2 : 1)
            let childType = moduleType(key, parent: name)
            var child = build(name: key, type: childType, depth: childDepth, all: all, members: childMembers, recorded: recorded)
            if child.children.isEmpty {
                let own = childMembers.map { all[$0] }
                (child.dims, child.shape) = (dims(of: own), shape(of: own))
            }
            children.append(child)
        }
        var count = 0
        var trainable = 0
        for i in members {
            count += all[i].spec.elementCount
            if all[i].trainable { trainable += all[i].spec.elementCount }
        }
        return SummaryNode(name: name, type: type, parameters: count, trainableParameters: recorded ? trainable : nil, dims: nil, shape: nil,
                           children: children)
    }

    /// transformers' PyTorch module class for a path component.
    static func moduleType(_ key: String, parent: String) -> String {
        if key.hasPrefix("layer.") { return "BertLayer" }
        switch key {
        case "embeddings": return "BertEmbeddings"
        case "word_embeddings", "position_embeddings", "token_type_embeddings": return "Embedding"
        case "LayerNorm": return "LayerNorm"
        case "encoder": return "BertEncoder"
        case "attention": return "BertAttention"
        case "self": return "BertSelfAttention"
        case "output": return parent == "attention" ? "BertSelfOutput" : "BertOutput"
        case "intermediate": return "BertIntermediate"
        case "pooler": return "BertPooler"
        case "predictions": return "BertLMPredictionHead"
        case "transform": return "BertPredictionHeadTransform"
        default: return "Linear"
        }
    }

    /// Dimensions of a module from its own parameters, as numbers in the order `dims(of:)` shows them.
    static func shape(of parameters: [BoundParameter]) -> [Int]? {
        guard let weight = parameters.first(where: { $0.spec.path.last == "weight" }) else { return parameters.first?.spec.shape }
        let s = weight.spec.shape
        switch weight.spec.kind {
        case .linearWeight: return [s[1], s[0]]
        case .conv1dWeight: return [s[2], s[1], s[0]]
        default: return s
        }
    }

    /// Dimensions of a module from its own parameters.
    static func dims(of parameters: [BoundParameter]) -> String? {
        guard let weight = parameters.first(where: { $0.spec.path.last == "weight" }) else {
            return parameters.first.map { "\($0.spec.shape.map(String.init).joined(separator: " × "))" }
        }
        let s = weight.spec.shape
        switch weight.spec.kind {
        case .linearWeight: return "\(s[1]) → \(s[0])"
        case .embedding: return "\(s[0]) × \(s[1])"
        case .normWeight: return "\(s[0])"
        case .conv1dWeight: return "width \(s[2]), \(s[1]) → \(s[0])"
        default: return s.map(String.init).joined(separator: " × ")
        }
    }
}
