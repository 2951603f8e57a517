import BERTGraph

/// The notebook's CNN head as its weights describe it: parallel Conv1D layers ('valid', ReLU) each max-pooled over
/// time and concatenated, then a Dense ReLU layer and the output Dense layer: sigmoid for one unit, softmax for more
/// (dropout is the identity at inference).
///
/// Keras records no activations in a weights-only file, so they are those of the notebook's `CustomIMDBModel` and
/// `BertIMDBEmbeddingModel`, which build `Dense(1, "sigmoid")` for two classes and `Dense(n, "softmax")` for n. The
/// Dense order is worked out from shapes: the first takes the concatenated filters.
struct CNNHead: Sendable, Equatable {
    struct Convolution: Sendable, Equatable {
        /// Canonical prefix (the Keras layer name).
        var name: String
        var width: Int
        var inputChannels: Int
        var filters: Int
    }

    struct Dense: Sendable, Equatable {
        var name: String
        var inputs: Int
        var outputs: Int
        var hasBias: Bool
    }

    /// The Embedding layer's name (CustomIMDBModel only).
    var embedding: String?
    /// Convolutions in the file's layer order, which is the concatenation order.
    var convolutions: [Convolution]
    /// The hidden Dense layer (ReLU) and the output Dense layer (sigmoid or softmax: see `softmaxOutput`).
    var hidden: Dense
    var output: Dense

    /// Whether the output layer is a softmax over classes (more than one unit) rather than one sigmoid unit.
    var softmaxOutput: Bool { output.outputs > 1 }

    /// Total filters: the width of the concatenated pooled features.
    var concatenatedWidth: Int { convolutions.reduce(0) { $0 + $1.filters } }
    /// The widest kernel: the shortest sequence the head accepts.
    var widestKernel: Int { convolutions.map(\.width).max() ?? 1 }

    /// The head of `model`, or an error naming what does not match the notebook's structure.
    static func resolve(_ model: BERTModel) throws(RuntimeError) -> CNNHead {
        func spec(_ name: String) -> ParameterSpec? { model.parameter(named: name)?.spec }
        var embedding: String?
        var convolutions: [Convolution] = []
        var denses: [Dense] = []
        for layer in model.kerasLayers {
            switch layer.kind {
            case .embedding:
                guard embedding == nil else { throw .unsupported(reason: "the CNN model has more than one Embedding layer") }
                embedding = layer.name
            case .conv1D:
                guard let weight = spec(layer.name + ".weight"), weight.shape.count == 3 else {
                    throw .unsupported(reason: "Conv1D layer '\(layer.name)' has no 3-D kernel")
                }
                convolutions.append(Convolution(name: layer.name, width: weight.shape[2], inputChannels: weight.shape[1],
                                                filters: weight.shape[0]))
            case .dense:
                guard let weight = spec(layer.name + ".weight"), weight.shape.count == 2 else {
                    throw .unsupported(reason: "Dense layer '\(layer.name)' has no 2-D kernel")
                }
                denses.append(Dense(name: layer.name, inputs: weight.shape[1], outputs: weight.shape[0],
                                    hasBias: spec(layer.name + ".bias") != nil))
            case .weightless:
                continue
            }
        }
        guard !convolutions.isEmpty else { throw .unsupported(reason: "the CNN head has no Conv1D layer") }
        if model.architecture == .kerasCNN {
            guard let embedding, let table = spec(embedding + ".weight") else {
                throw .unsupported(reason: "the CNN model has no Embedding layer to feed its Conv1D layers")
            }
            let width = table.shape[1]
            if let conv = convolutions.first(where: { $0.inputChannels != width }) {
                throw .unsupported(reason: "Conv1D '\(conv.name)' takes \(conv.inputChannels) channels but the Embedding gives \(width)")
            }
        } else if let conv = convolutions.first(where: { $0.inputChannels != model.configuration.hiddenSize }) {
            throw .unsupported(reason: "Conv1D '\(conv.name)' takes \(conv.inputChannels) channels but BERT gives \(model.configuration.hiddenSize)")
        }
        let concatenated = convolutions.reduce(0) { $0 + $1.filters }
        guard denses.count == 2 else {
            throw .unsupported(reason: "the CNN head has \(denses.count) Dense layers; the notebook's head has 2 (ReLU, then sigmoid or softmax)")
        }
        guard let first = denses.first(where: { $0.inputs == concatenated }) else {
            throw .unsupported(reason: "no Dense layer takes the \(concatenated) concatenated Conv1D filters")
        }
        guard let second = denses.first(where: { $0 != first }), second.inputs == first.outputs else {
            throw .unsupported(reason: "the second Dense layer does not take the first one's \(first.outputs) outputs")
        }
        return CNNHead(embedding: embedding, convolutions: convolutions, hidden: first, output: second)
    }
}

extension BERTModel {
    /// The units of the notebook's CNN head's output layer (1: a sigmoid probability; more: softmax class
    /// probabilities), nil for a model without that head or one whose head does not resolve.
    public var cnnOutputUnits: Int? {
        guard architecture == .bertCNN || architecture == .kerasCNN else { return nil }
        return try? CNNHead.resolve(self).output.outputs
    }
}
