import TensorFormats

/// A checkpoint family's naming of parameters.
public enum NamingFamily: String, Sendable {
    /// transformers PyTorch: `bert.encoder.layer.0.attention.self.query.weight`, Linear weights `[out, in]`.
    case pytorch = "HF PyTorch names"
    /// transformers TensorFlow / Keras 2: `…/bert/encoder/layer_._0/attention/self/query/kernel:0`, kernels `[in, out]`.
    case tensorflow = "HF TensorFlow names"
    /// Keras 3: `layers/<layer>/vars/<i>`.
    case keras3 = "Keras 3 names"
}

/// How one checkpoint names and lays out each parameter of the typed model; one table serves reading and writing.
///
/// The rules mirror transformers' `convert_tf_weight_name_to_pt_weight_name` (modeling_tf_pytorch_utils.py):
/// `layer_._N` ↔ `layer.N`, `kernel` ↔ `weight` with a transpose, `gamma`/`beta` ↔ `weight`/`bias`,
/// position and token-type `embeddings` ↔ `weight`, `mlm___cls`/`nsp___cls` ↔ `cls`. Prefixes that depend on how
/// the model was wrapped (the Keras layer group and model-name scope) are data of the scheme.
public struct NamingScheme: Sendable, Hashable {
    public var family: NamingFamily
    /// What precedes main-layer names: `bert.` or `` (PyTorch), `bert/tf_bert_for_sequence_classification/bert/` (TF).
    public var mainPrefix: String
    /// TF only: what precedes each head's names, by head group (`classifier`, `mlm___cls`, `nsp___cls`).
    public var headPrefixes: [String: String]
    /// TF only: `:0` for Keras variable names, empty for TF-named safetensors.
    public var suffix: String
    /// PyTorch only: whether LayerNorm parameters use the old `gamma`/`beta` spelling.
    public var gammaBeta: Bool
    /// Stored names of Keras layers outside BERT: canonical layer name → (kernel/embeddings, bias).
    public var kerasLayers: [String: [String]]

    public init(family: NamingFamily, mainPrefix: String, headPrefixes: [String: String] = [:], suffix: String = "",
                gammaBeta: Bool = false, kerasLayers: [String: [String]] = [:]) {
        self.family = family
        self.mainPrefix = mainPrefix
        self.headPrefixes = headPrefixes
        self.suffix = suffix
        self.gammaBeta = gammaBeta
        self.kerasLayers = kerasLayers
    }

    /// The HF PyTorch scheme with the `bert.` prefix and current spellings.
    public static let pytorch = NamingScheme(family: .pytorch, mainPrefix: "bert.")

    /// The HF `tf_model.h5` scheme as `save_pretrained` writes it for a model whose Keras name is `scope`.
    public static func tensorflowH5(scope: String) -> NamingScheme {
        NamingScheme(
            family: .tensorflow, mainPrefix: "bert/\(scope)/bert/",
            headPrefixes: ["classifier": "classifier/\(scope)/", "mlm___cls": "mlm___cls/\(scope)/", "nsp___cls": "nsp___cls/\(scope)/"],
            suffix: ":0")
    }

    /// The name `spec` has in this checkpoint family.
    public func storedName(for spec: ParameterSpec) -> String {
        if let layer = kerasLayers[spec.path[0]], spec.path.count == 2 {
            return spec.path[1] == "bias" ? (layer.count > 1 ? layer[1] : "") : layer[0]
        }
        switch family {
        case .pytorch where !gammaBeta && (mainPrefix == "bert." || spec.path.first != "bert"):
            return spec.name  // the canonical name is the PyTorch name
        case .pytorch:
            let path = spec.path
            let inMain = path.first == "bert"
            var name = inMain ? mainPrefix : ""
            name.reserveCapacity(name.utf8.count + path.reduce(path.count) { $0 + $1.utf8.count })
            for (i, component) in path.enumerated() where !(inMain && i == 0) {
                if i > (inMain ? 1 : 0) { name += "." }
                if inMain, gammaBeta, i == path.count - 1, spec.kind == .normWeight || spec.kind == .normBias {
                    name += spec.kind == .normWeight ? "gamma" : "beta"
                } else {
                    name += component
                }
            }
            return name
        case .tensorflow, .keras3:
            let (group, relative) = Self.tensorflowRelativeName(spec)
            let prefix = group.map { headPrefixes[$0] ?? "\($0)/" } ?? mainPrefix
            return prefix + relative + suffix
        }
    }

    /// The one PyTorch ⇄ TensorFlow/Keras layout rule: a dense kernel is `[in, out]` where PyTorch's weight is
    /// `[out, in]`, a Keras Conv1D kernel `[width, in, out]` where PyTorch's is `[out, in, width]`. Axis `i` of the
    /// transposed layout is axis `order[i]` of the other (the permutation is its own inverse).
    static func transposition(_ kind: ParameterKind) -> [Int] {
        kind == .conv1dWeight ? [2, 1, 0] : [1, 0]
    }

    /// The shape `spec` has in this family's layout.
    public func storedShape(for spec: ParameterSpec) -> [Int] {
        guard isTransposed(spec) else { return spec.shape }
        return Self.transposition(spec.kind).map { spec.shape[$0] }
    }

    /// How a tensor stored in this family's layout is moved to `target`'s layout (nothing when both agree).
    public func layoutChange(for spec: ParameterSpec, to target: NamingScheme) -> LayoutChange {
        guard isTransposed(spec) != target.isTransposed(spec) else { return .none }
        return .permute(Self.transposition(spec.kind))
    }

    /// Whether this family stores `spec` in a layout other than PyTorch's (TF/Keras kernels).
    public func isTransposed(_ spec: ParameterSpec) -> Bool {
        family != .pytorch && (spec.kind == .linearWeight || spec.kind == .conv1dWeight)
    }

    /// The TF name of `spec` without prefix and `:0`, and the head group it belongs to (nil for the main layer).
    static func tensorflowRelativeName(_ spec: ParameterSpec) -> (group: String?, name: String) {
        var components = spec.path
        var group: String?
        if components.first == "bert" {
            components.removeFirst()
        } else if components.first == "cls" {
            group = components[1] == "predictions" ? "mlm___cls" : "nsp___cls"
            components[0] = group!
        } else {
            group = components[0]
        }
        var mapped: [String] = []
        var index = 0
        while index < components.count {
            if components[index] == "layer", index + 1 < components.count, Int(components[index + 1]) != nil {
                mapped.append("layer_._" + components[index + 1])
                index += 2
                continue
            }
            mapped.append(components[index])
            index += 1
        }
        let leaf: String
        switch spec.kind {
        case .linearWeight, .conv1dWeight: leaf = "kernel"
        case .bias: leaf = "bias"
        case .normWeight: leaf = "gamma"
        case .normBias: leaf = "beta"
        case .embedding: leaf = mapped[mapped.count - 2] == "word_embeddings" ? "weight" : "embeddings"
        }
        mapped[mapped.count - 1] = leaf
        return (group, mapped.joined(separator: "/"))
    }

    /// Stored name → parameter for every spec: the reverse of `storedName(for:)`, built from it.
    public func table(for specs: [ParameterSpec]) -> [String: ParameterSpec] {
        var table: [String: ParameterSpec] = [:]
        for spec in specs { table[storedName(for: spec)] = spec }
        return table
    }
}
