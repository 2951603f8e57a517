/// How a parameter is used, which decides how each checkpoint family stores it.
public enum ParameterKind: Sendable, Hashable {
    /// A dense projection: PyTorch `[out, in]`, TensorFlow kernel `[in, out]`.
    case linearWeight
    /// A bias vector.
    case bias
    /// An embedding table `[rows, width]`, the same in every family.
    case embedding
    /// LayerNorm scale (`weight`, TF `gamma`).
    case normWeight
    /// LayerNorm shift (`bias`, TF `beta`).
    case normBias
    /// A 1-D convolution: PyTorch `[out, in, width]`, Keras `[width, in, out]`.
    case conv1dWeight
}

/// One parameter of the typed model: its canonical path (the HF PyTorch name, split on dots), its shape in
/// PyTorch layout, and its kind.
public struct ParameterSpec: Sendable, Hashable {
    public let path: [String]
    public var shape: [Int]
    public var kind: ParameterKind
    /// The canonical name, e.g. `bert.encoder.layer.3.attention.self.query.weight` (joined once: names are compared
    /// and hashed on every lookup).
    public let name: String

    public init(path: [String], shape: [Int], kind: ParameterKind) {
        self.path = path
        self.shape = shape
        self.kind = kind
        name = Self.joined(path)
    }

    /// `path` joined with dots, written straight into one string buffer (`joined(separator:)` is several times
    /// slower here, and a model has hundreds of parameters).
    static func joined(_ path: [String]) -> String {
        guard !path.isEmpty else { return "" }
        let count = path.reduce(path.count - 1) { $0 + $1.utf8.count }
        return String(unsafeUninitializedCapacity: count) { buffer in
            var at = 0
            for component in path {
                let (_, end) = UnsafeMutableBufferPointer(rebasing: buffer[at...]).initialize(from: component.utf8)
                at += end
                // A dot after every component but the last: only after the last is the buffer full.
                if at < count { buffer[at] = UInt8(ascii: "."); at += 1 }
            }
            return at
        }
    }

    /// Number of values.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A Keras layer outside the BERT main layer (the notebook's CNN head, an Embedding), enumerated from the file's
/// layer list because Keras layer names are not derivable from a configuration.
public struct KerasLayer: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case embedding = "Embedding"
        case conv1D = "Conv1D"
        case dense = "Dense"
        case weightless = "-"
    }
    /// The Keras layer name as stored (`conv1d_1`).
    public var name: String
    public var kind: Kind
    /// The Keras class name to show (`Conv1D`, `Dropout`, `GlobalMaxPooling1D`).
    public var className: String
}

extension BERTConfiguration {
    /// Every parameter of the BERT main layer, in the order transformers creates them.
    func mainLayerParameters(pooler: Bool) -> [ParameterSpec] {
        let h = hiddenSize, i = intermediateSize
        var specs: [ParameterSpec] = []
        specs.reserveCapacity(6 + 16 * min(max(0, numHiddenLayers), ModelLoader.maximumEncoderLayers) + 2)
        Self.add(["bert", "embeddings", "word_embeddings"], "weight", [vocabSize, h], .embedding, to: &specs)
        Self.add(["bert", "embeddings", "position_embeddings"], "weight", [maxPositionEmbeddings, h], .embedding, to: &specs)
        Self.add(["bert", "embeddings", "token_type_embeddings"], "weight", [typeVocabSize, h], .embedding, to: &specs)
        Self.norm(["bert", "embeddings", "LayerNorm"], h, to: &specs)
        for layer in 0..<max(0, numHiddenLayers) {
            let index = String(layer)
            for projection in ["query", "key", "value"] {
                Self.linear(["bert", "encoder", "layer", index, "attention", "self", projection], out: h, in: h, to: &specs)
            }
            Self.linear(["bert", "encoder", "layer", index, "attention", "output", "dense"], out: h, in: h, to: &specs)
            Self.norm(["bert", "encoder", "layer", index, "attention", "output", "LayerNorm"], h, to: &specs)
            Self.linear(["bert", "encoder", "layer", index, "intermediate", "dense"], out: i, in: h, to: &specs)
            Self.linear(["bert", "encoder", "layer", index, "output", "dense"], out: h, in: i, to: &specs)
            Self.norm(["bert", "encoder", "layer", index, "output", "LayerNorm"], h, to: &specs)
        }
        if pooler { Self.linear(["bert", "pooler", "dense"], out: h, in: h, to: &specs) }
        return specs
    }

    /// Parameters of the head of `architecture` (CNN heads excluded: they come from the file's layers).
    func headParameters(_ architecture: Architecture) -> [ParameterSpec] {
        let h = hiddenSize
        var specs: [ParameterSpec] = []
        switch architecture {
        case .sequenceClassification, .tokenClassification:
            Self.linear(["classifier"], out: numLabels ?? 0, in: h, to: &specs)
        case .preTraining, .maskedLM:
            Self.linear(["cls", "predictions", "transform", "dense"], out: h, in: h, to: &specs)
            Self.norm(["cls", "predictions", "transform", "LayerNorm"], h, to: &specs)
            Self.add(["cls", "predictions"], "bias", [vocabSize], .bias, to: &specs)
            if architecture == .preTraining { Self.linear(["cls", "seq_relationship"], out: 2, in: h, to: &specs) }
        case .bertModel, .bertCNN, .kerasCNN:
            break
        }
        return specs
    }

    /// Appends the parameter `base` + `leaf` (the path built once, without temporary arrays).
    static func add(_ base: [String], _ leaf: String, _ shape: [Int], _ kind: ParameterKind, to specs: inout [ParameterSpec]) {
        var path = base
        path.append(leaf)
        specs.append(ParameterSpec(path: path, shape: shape, kind: kind))
    }

    /// Appends a Linear layer's weight `[out, in]` and bias.
    static func linear(_ base: [String], out: Int, in inputs: Int, to specs: inout [ParameterSpec]) {
        add(base, "weight", [out, inputs], .linearWeight, to: &specs)
        add(base, "bias", [out], .bias, to: &specs)
    }

    /// Appends a LayerNorm's weight and bias.
    static func norm(_ base: [String], _ width: Int, to specs: inout [ParameterSpec]) {
        add(base, "weight", [width], .normWeight, to: &specs)
        add(base, "bias", [width], .normBias, to: &specs)
    }
}

extension BERTConfiguration {
    /// Every parameter of a transformers BERT class with this configuration: the main layer (with a pooler unless
    /// the class has none) and the head.
    public func allParameters(for architecture: Architecture) -> [ParameterSpec] {
        let pooler = architecture != .tokenClassification && architecture != .maskedLM
        return mainLayerParameters(pooler: pooler) + headParameters(architecture)
    }
}
