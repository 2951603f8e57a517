import BERTGraph
import TensorFormats

/// What the forward pass of `model` is made of, checked: the feed-forward activation (`hidden_act`) and the CNN head
/// of the notebook's models. Refuses a model the runtime cannot compute (heads not dividing the hidden size, a
/// classifier without its pooler, an activation it does not implement). The ONNX exporter builds the same pass.
func modelStructure(_ model: BERTModel) throws(RuntimeError) -> (activation: Activation, cnn: CNNHead?) {
    let configuration = model.configuration
    if model.architecture.hasEncoder {
        guard configuration.numAttentionHeads > 0, configuration.hiddenSize % configuration.numAttentionHeads == 0 else {
            throw .unsupported(
                reason: "hidden_size \(configuration.hiddenSize) is not a multiple of num_attention_heads \(configuration.numAttentionHeads)")
        }
        guard configuration.variantSettings.isEmpty else {
            throw .unsupported(reason: "config.json sets \(configuration.variantSettings.joined(separator: ", ")), a BERT variant the runtime does not compute (it implements absolute position embeddings and bidirectional self-attention)")
        }
        // Stored tensors of the embeddings or encoder that no parameter uses (relative-position distance embeddings
        // whose config.json is gone, say) are part of a computation the runtime does not do: its outputs would not
        // be this model's.
        let inside = model.report.unexpected.filter { name in
            name.split(whereSeparator: { $0 == "." || $0 == "/" }).contains { $0 == "encoder" || $0 == "embeddings" }
        }
        guard inside.isEmpty else {
            throw .unsupported(reason: "\(inside.count) stored tensor(s) of the encoder that the runtime does not compute (\(inside.prefix(2).joined(separator: ", "))\(inside.count > 2 ? ", …" : "")); its outputs would not be this model's")
        }
        switch model.architecture {
        case .sequenceClassification, .preTraining:
            guard model.hasPooler else {
                throw .unsupported(reason: "\(model.architecture.className ?? model.architectureName) needs a pooler and the checkpoint has none")
            }
        default: break
        }
    }
    let activation: Activation
    switch configuration.hiddenAct {
    case "gelu": activation = .gelu
    case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
    case "relu": activation = .relu
    default:
        throw .unsupported(reason: "hidden_act '\(configuration.hiddenAct)' (the runtime implements 'gelu' (exact erf), 'gelu_new' (tanh approximation) and 'relu')")
    }
    let cnn = model.architecture == .bertCNN || model.architecture == .kerasCNN ? try CNNHead.resolve(model) : nil
    return (activation, cnn)
}

/// A model's weights in a backend's buffers, ready to run batches through.
///
/// Written once against `ComputeBackend`; mirrors transformers' `modeling_bert.py` (`BertEmbeddings`,
/// `BertSelfAttention`, `BertPooler`, the heads) and the notebook's Keras CNN models.
public struct ForwardPass<Backend: ComputeBackend>: Sendable {
    /// A weight in a backend buffer, with the layout it is stored in.
    struct Weight: Sendable {
        var buffer: Backend.Buffer
        /// PyTorch-layout shape (`[out, in]`, `[out, in, width]`).
        var shape: [Int]
        var isTransposed: Bool
    }

    /// Where the pass runs.
    public let backend: Backend
    /// What the model computes (which outputs `run` returns).
    public let architecture: Architecture
    /// The encoder's hyper-parameters.
    public let configuration: BERTConfiguration
    /// Whether `run` returns `poolerOutput`.
    public let hasPooler: Bool
    let weights: [String: Weight]
    /// The checkpoint the weights come from, for messages.
    let path: String
    /// The feed-forward nonlinearity (`hidden_act`).
    let activation: Activation
    let cnn: CNNHead?

    /// Uploads `weights` to `backend` and checks that `model` is something the runtime can run.
    public init(model: BERTModel, weights: ModelWeights, backend: Backend) throws {
        let configuration = model.configuration
        (activation, cnn) = try modelStructure(model)
        var uploaded: [String: Weight] = [:]
        for (name, tensor) in weights.tensors {
            uploaded[name] = Weight(buffer: try backend.makeWeightBuffer(tensor.values), shape: tensor.spec.shape,
                                    isTransposed: tensor.isTransposed)
        }
        for parameter in model.parameters where uploaded[parameter.spec.name] == nil {
            throw RuntimeError.incompleteModel(path: weights.path, problem: "parameter '\(parameter.spec.name)' was not loaded")
        }
        self.backend = backend
        self.architecture = model.architecture
        self.configuration = configuration
        self.hasPooler = model.hasPooler
        self.weights = uploaded
        self.path = weights.path
    }

    /// Runs one batch through the model and returns every output the architecture has.
    public func run(_ input: EncoderInput) throws -> ModelOutputs {
        try input.validateShape()
        try validateTokens(input)
        let batch = input.batchSize, length = input.sequenceLength
        let ids = input.inputIDs.flatMap { $0 }
        var outputs = ModelOutputs()
        if architecture == .kerasCNN, let cnn, let embedding = cnn.embedding {
            let table = try weight(embedding + ".weight")
            let width = table.shape[1]
            let embedded = try backend.makeBuffer(count: batch * length * width)
            try backend.gatherRows(table.buffer, width: width, rows: ids, into: embedded, accumulate: false)
            outputs.logits = try runCNN(cnn, embedded, batch: batch, time: length, channels: width)
            return outputs
        }
        let hiddenSize = configuration.hiddenSize
        let hidden = try encode(input)
        outputs.lastHiddenState = FloatTensor(shape: [batch, length, hiddenSize],
                                              values: try backend.read(hidden, offset: 0, count: batch * length * hiddenSize))
        var pooled: Backend.Buffer?
        if hasPooler {
            let buffer = try pool(hidden, batch: batch, length: length)
            outputs.poolerOutput = FloatTensor(shape: [batch, hiddenSize], values: try backend.read(buffer, offset: 0, count: batch * hiddenSize))
            pooled = buffer
        }
        switch architecture {
        case .sequenceClassification:
            outputs.logits = try classify(pooled!, rows: batch, layer: "classifier", shape: [batch])
        case .tokenClassification:
            outputs.logits = try classify(hidden, rows: batch * length, layer: "classifier", shape: [batch, length])
        case .preTraining:
            outputs.seqRelationshipLogits = try classify(pooled!, rows: batch, layer: "cls.seq_relationship", shape: [batch])
        case .bertCNN:
            outputs.logits = try runCNN(cnn!, hidden, batch: batch, time: length, channels: hiddenSize)
        case .bertModel, .maskedLM, .kerasCNN:
            break
        }
        if !input.maskedLMPositions.isEmpty {
            outputs.predictionLogits = try predictMasked(hidden, length: length, positions: input.maskedLMPositions)
            outputs.predictionPositions = input.maskedLMPositions
        }
        return outputs
    }

    /// Rejects ids outside the embedding tables, sequences longer than the position table or shorter than a kernel.
    func validateTokens(_ input: EncoderInput) throws(RuntimeError) {
        let length = input.sequenceLength
        var vocabulary = configuration.vocabSize
        if let cnn {
            if length < cnn.widestKernel { throw .sequenceTooShort(length: length, minimum: cnn.widestKernel) }
            if let embedding = cnn.embedding, let table = weights[embedding + ".weight"] { vocabulary = table.shape[0] }
        }
        if architecture.hasEncoder, length > configuration.maxPositionEmbeddings {
            throw .sequenceTooLong(length: length, maximum: configuration.maxPositionEmbeddings)
        }
        for (sequence, ids) in input.inputIDs.enumerated() {
            if let position = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
                throw .tokenOutOfRange(sequence: sequence, position: position, id: ids[position], vocabularySize: vocabulary)
            }
        }
        if architecture.hasEncoder {
            for (sequence, types) in input.tokenTypeIDs.enumerated() {
                if let position = types.firstIndex(where: { $0 < 0 || Int($0) >= configuration.typeVocabSize }) {
                    throw .tokenTypeOutOfRange(sequence: sequence, position: position, tokenType: types[position],
                                               typeVocabularySize: configuration.typeVocabSize)
                }
            }
        }
        if !input.maskedLMPositions.isEmpty, architecture != .preTraining, architecture != .maskedLM {
            throw .invalidInput(reason: "masked-LM positions were given but \(architecture.className) has no masked-LM head")
        }
    }

    /// The weight called `name`.
    func weight(_ name: String) throws(RuntimeError) -> Weight {
        guard let weight = weights[name] else { throw .incompleteModel(path: path, problem: "parameter '\(name)' was not loaded") }
        return weight
    }

    /// `output[rows, out] = input[rows, in] · Wᵀ + b` for the Linear / Dense layer `layer` (weight `[out, in]`).
    ///
    /// A TF kernel `[in, out]` is read as stored; a PyTorch weight `[out, in]` through the transpose flag.
    /// The result goes to `output` from element `outputOffset` on.
    func linear(_ input: MatrixOperand<Backend.Buffer>, rows: Int, layer: String, into output: Backend.Buffer,
                outputOffset: Int = 0) throws {
        let w = try weight(layer + ".weight")
        let outputs = w.shape[0], inputs = w.shape[1]
        let operand = MatrixOperand(w.buffer, leadingDimension: w.isTransposed ? outputs : inputs, transposed: !w.isTransposed)
        try backend.matrixMultiply(m: rows, n: outputs, k: inputs, alpha: 1, input, operand, beta: 0,
                                   into: MatrixOperand(output, offset: outputOffset, leadingDimension: outputs), batchCount: 1)
        if let bias = weights[layer + ".bias"] {
            try backend.addBias(output, offset: outputOffset, rows: rows, columns: outputs, bias: bias.buffer)
        }
    }

    /// A Linear head on `rows` rows of `input`, read back as `[shape..., labels]`.
    func classify(_ input: Backend.Buffer, rows: Int, layer: String, shape: [Int]) throws -> FloatTensor {
        let labels = try weight(layer + ".weight").shape[0]
        let output = try backend.makeBuffer(count: rows * labels)
        try linear(MatrixOperand(input, leadingDimension: configuration.hiddenSize), rows: rows, layer: layer, into: output)
        return FloatTensor(shape: shape + [labels], values: try backend.read(output, offset: 0, count: rows * labels))
    }
}

extension ForwardPass where Backend == CPUBackend {
    /// Loads `model`'s weights from `store` and prepares them for the CPU backend.
    public init(model: BERTModel, store: any TensorStore) throws {
        try self.init(model: model, weights: ModelWeights(model: model, store: store), backend: try CPUBackend())
    }
}
