import BERTGraph
import TensorFormats

/// The ONNX graph of a model's forward pass, the computation `ForwardPass` runs, written as ONNX operators.
///
/// Every parameter is one initializer under its HF PyTorch name and in PyTorch's layout (what `convert --to
/// safetensors` writes), so that reading the file back gives the model again. Inputs are `input_ids`,
/// `attention_mask` and `token_type_ids` (int64, dynamic `batch` and `sequence`; the notebook's CNN models take
/// `input_ids` only, as their Keras models do); outputs are named as transformers names them.
///
/// - `standard`: only ai.onnx operators. Hidden states stay a `[batch·sequence, hidden]` matrix, so every dense
///   layer is one `Gemm(transB=1)` on the stored `[out, in]` weight; GELU is the erf form transformers uses.
/// - `fused`: onnxruntime's `com.microsoft` operators (EmbedLayerNormalization, Attention, SkipLayerNormalization,
///   BiasGelu / FastGelu), the graph onnxruntime's own BERT optimizer produces. The weights these operators take
///   transposed (`[in, out]`) or packed (Q, K and V side by side) are stored so, under generated names
///   (`bertinspect::transposed::…`, `bertinspect::packed::…`); their nodes carry torch-style scoped names
///   (`/bert/encoder/layer.0/attention/self/Attention`), from which a reader recovers each parameter.
public enum ONNXExport {
    public enum Graph: String, Sendable, CaseIterable {
        case standard
        case fused
    }

    /// Options of an export.
    public struct Options: Sendable {
        public var graph: Graph
        /// The ai.onnx opset (17 introduced LayerNormalization).
        public var opset: Int
        /// Stored element type of the weights: f32, or f16 (cast to float32 in the graph, which computes in float32).
        public var dtype: DType
        /// A fixed sequence length for the inputs and outputs (for runtimes that need static shapes); nil keeps the
        /// `sequence` axis free.
        public var sequenceLength: Int?
        public var producerVersion: String

        public init(graph: Graph = .standard, opset: Int = 17, dtype: DType = .f32, sequenceLength: Int? = nil, producerVersion: String) {
            self.graph = graph
            self.opset = opset
            self.dtype = dtype
            self.sequenceLength = sequenceLength
            self.producerVersion = producerVersion
        }
    }

    /// Opsets offered, and the IR version each pairs with (onnx/onnx `helper.py` VERSION_TABLE).
    public static let opsets: ClosedRange<Int> = 17...21
    static func irVersion(opset: Int) -> Int {
        switch opset {
        case ...18: return 8
        case 19, 20: return 9
        default: return 10
        }
    }

    /// The graph of `model`, whose parameters `plan` (a safetensors conversion plan of it) names and lays out; what
    /// cannot be expressed is an error naming `path` (the checkpoint) and the layer or setting.
    public static func model(_ model: BERTModel, plan: WritePlan, options: Options, path: String) throws(GraphError) -> ONNXModel {
        do {
            return try graph(model, plan: plan, options: options)
        } catch {
            throw .unsupported(path: path, reason: "cannot be exported to ONNX: \(error.reason)")
        }
    }

    static func graph(_ model: BERTModel, plan: WritePlan, options: Options) throws(RuntimeError) -> ONNXModel {
        guard opsets.contains(options.opset) else {
            throw .unsupported(reason: "opset \(options.opset); bertinspect writes opsets \(opsets.lowerBound) to \(opsets.upperBound)")
        }
        guard options.dtype == .f32 || options.dtype == .f16 else {
            throw .unsupported(reason: "ONNX export in \(options.dtype.rawValue); it writes f32 or f16 weights")
        }
        var builder = try Builder(model: model, plan: plan, options: options)
        try builder.build()
        // The plan's records (the CNN models' Keras layers, a frozen state) and the head count travel as
        // metadata_props, so that the file reads back as the same model.
        builder.onnx.metadata = [("bertinspect.graph", options.graph.rawValue)]
            + plan.metadata.sorted { $0.key < $1.key }.filter { $0.key != "format" }.map { ($0.key, $0.value) }
        if model.architecture.hasEncoder {
            builder.onnx.metadata.append((StoreMetadataKey.attentionHeads, String(model.configuration.numAttentionHeads)))
        }
        return builder.onnx
    }

    /// Builds the graph node by node; value names are unique by a counter.
    struct Builder {
        let model: BERTModel
        let configuration: BERTConfiguration
        let options: Options
        var onnx: ONNXModel
        /// Each parameter's plan entry (in the export's element type), by canonical name.
        var entries: [String: WritePlan.Entry] = [:]
        /// Canonical names whose entry is already an initializer.
        var added: Set<String> = []
        /// The float32 value of each f16 initializer, once cast.
        var casts: [String: String] = [:]
        var counter = 0
        let activation: Activation
        let cnn: CNNHead?

        init(model: BERTModel, plan: WritePlan, options: Options) throws(RuntimeError) {
            self.model = model
            configuration = model.configuration
            self.options = options
            var opsets = [("", options.opset)]
            if options.graph == .fused, model.architecture.hasEncoder { opsets.append(("com.microsoft", 1)) }
            onnx = ONNXModel(irVersion: ONNXExport.irVersion(opset: options.opset), opsets: opsets, producerName: "bertinspect",
                             producerVersion: options.producerVersion, graphName: model.architectureName)
            guard plan.entries.count == model.parameters.count else {
                throw .unsupported(reason: "the conversion plan does not hold one tensor per parameter")
            }
            for (parameter, entry) in zip(model.parameters, plan.entries) {
                var entry = entry
                entry.dtype = options.dtype
                entries[parameter.spec.name] = entry
            }
            (activation, cnn) = try modelStructure(model)
            if options.graph == .fused, model.architecture.hasEncoder, activation == .relu {
                throw .unsupported(reason: "hidden_act 'relu' in --graph fused (onnxruntime's fused operators implement GELU); use --graph standard")
            }
            if let length = options.sequenceLength, model.architecture.hasEncoder, length > configuration.maxPositionEmbeddings || length < 1 {
                throw .unsupported(reason: "a sequence length of \(length): the model's position embeddings hold \(configuration.maxPositionEmbeddings)")
            }
        }

        // MARK: Nodes

        mutating func fresh(_ hint: String) -> String {
            counter += 1
            return "\(hint)_\(counter)"
        }

        /// Adds a node with one output and returns the output's name.
        @discardableResult
        mutating func add(_ op: String, _ inputs: [String], _ attributes: [(String, ONNXModel.AttributeValue)] = [],
                          domain: String = "", name: String? = nil, outputs: Int = 1) -> String {
            let output = fresh(name ?? op)
            var names = [output]
            for i in 1..<max(outputs, 1) { names.append("\(output):\(i)") }
            onnx.nodes.append(ONNXModel.Node(op, domain: domain, inputs: inputs, outputs: names, name: output, attributes: attributes))
            return output
        }

        mutating func constant(_ literal: ONNXModel.Literal, name: String = "const") -> String {
            add("Constant", [], [("value", .tensor(literal))], name: name)
        }

        mutating func int64s(_ values: [Int64]) -> String { constant(.int64(values)) }
        mutating func scalar(_ value: Float) -> String { constant(.float([value], dims: [])) }

        func entry(_ canonical: String) throws(RuntimeError) -> WritePlan.Entry {
            guard let entry = entries[canonical] else {
                throw .incompleteModel(path: "", problem: "parameter '\(canonical)' is not in the model")
            }
            return entry
        }

        /// The float32 value of initializer `name` (cast when the weights are stored as f16).
        mutating func float32(_ name: String) -> String {
            guard options.dtype != .f32 else { return name }
            if let cast = casts[name] { return cast }
            let cast = add("Cast", [name], [("to", .int(ONNXModel.ElementType.float.rawValue))], name: name + "/cast")
            casts[name] = cast
            return cast
        }

        /// The float32 value of parameter `canonical`: its initializer, under its HF name, added on first use.
        mutating func parameter(_ canonical: String) throws(RuntimeError) -> String {
            let entry = try entry(canonical)
            if added.insert(canonical).inserted {
                onnx.initializers.append(ONNXModel.Initializer(name: entry.name, content: .entry(entry)))
            }
            return float32(entry.name)
        }

        /// Adds the parameters no node uses (the pooler of a CNN model), so that the file holds the whole model.
        mutating func addUnused() {
            for canonical in model.parameters.map(\.spec.name) where added.insert(canonical).inserted {
                let entry = entries[canonical]!
                onnx.initializers.append(ONNXModel.Initializer(name: entry.name, content: .entry(entry)))
            }
        }

        func has(_ canonical: String) -> Bool { entries[canonical] != nil }

        /// The module path of a parameter as the file names it (`bert.encoder.layer.0.attention.output.dense`).
        func module(_ canonical: String) throws(RuntimeError) -> String {
            let name = try entry(canonical).name
            return String(name.split(separator: ".").dropLast().joined(separator: "."))
        }

        /// A node name in the form torch's exporter gives it (`/bert/encoder/layer.0/…/dense/MatMul`): readers take
        /// the module path from it, and so learn which parameters a packed or transposed initializer holds.
        static func scopedName(_ module: String, _ op: String) -> String {
            "/" + module.split(separator: ".").joined(separator: "/") + "/" + op
        }

        /// `x · Wᵀ + b` for a 2-D `x` and a stored `[out, in]` weight.
        mutating func dense(_ x: String, _ prefix: String) throws(RuntimeError) -> String {
            var inputs = [x, try parameter(prefix + ".weight")]
            if has(prefix + ".bias") { inputs.append(try parameter(prefix + ".bias")) }
            return add("Gemm", inputs, [("transB", .int(1))], name: prefix)
        }

        mutating func layerNorm(_ x: String, _ prefix: String) throws(RuntimeError) -> String {
            add("LayerNormalization", [x, try parameter(prefix + ".weight"), try parameter(prefix + ".bias")],
                [("axis", .int(-1)), ("epsilon", .float(Float(configuration.layerNormEps)))], name: prefix)
        }

        mutating func activate(_ x: String, _ kind: Activation) -> String {
            switch kind {
            case .gelu:
                // 0.5 · x · (1 + erf(x / √2)), as transformers' GELUActivation.
                let erf = add("Erf", [add("Div", [x, scalar(Float(2).squareRoot())])])
                return add("Mul", [add("Mul", [x, add("Add", [erf, scalar(1)])]), scalar(0.5)], name: "gelu")
            case .geluTanh:
                // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), as transformers' NewGELUActivation.
                let cube = add("Mul", [add("Mul", [x, x]), x])
                let inner = add("Add", [x, add("Mul", [cube, scalar(0.044715)])])
                let tanh = add("Tanh", [add("Mul", [inner, scalar(Float((2.0 / Double.pi).squareRoot()))])])
                return add("Mul", [add("Mul", [x, add("Add", [tanh, scalar(1)])]), scalar(0.5)], name: "gelu_tanh")
            case .relu: return add("Relu", [x])
            case .tanh: return add("Tanh", [x])
            case .sigmoid: return add("Sigmoid", [x])
            }
        }

        /// ReduceMax over `axis`, dropping it (the axes moved from an attribute to an input in opset 18).
        mutating func reduceMax(_ x: String, axis: Int) -> String {
            if options.opset >= 18 {
                return add("ReduceMax", [x, int64s([Int64(axis)])], [("keepdims", .int(0))])
            }
            return add("ReduceMax", [x], [("axes", .ints([axis])), ("keepdims", .int(0))])
        }

        // MARK: Graph

        mutating func build() throws(RuntimeError) {
            let batch = ONNXModel.Dimension.parameter("batch")
            let sequence = options.sequenceLength.map { ONNXModel.Dimension.value($0) } ?? .parameter("sequence")
            let idsOnly = cnn != nil
            onnx.inputs.append(ONNXModel.ValueInfo(name: "input_ids", elementType: .int64, shape: [batch, sequence]))
            if !idsOnly {
                onnx.inputs.append(ONNXModel.ValueInfo(name: "attention_mask", elementType: .int64, shape: [batch, sequence]))
                onnx.inputs.append(ONNXModel.ValueInfo(name: "token_type_ids", elementType: .int64, shape: [batch, sequence]))
            }
            let h = configuration.hiddenSize
            // Canonical names always carry `bert.`; the initializers are named as the plan names them.
            let prefix = "bert."
            var hidden: String?
            if model.architecture.hasEncoder {
                hidden = options.graph == .fused ? try fusedEncoder(prefix: prefix, idsOnly: idsOnly) : try standardEncoder(prefix: prefix, idsOnly: idsOnly)
            }
            func output(_ name: String, _ value: String, _ shape: [ONNXModel.Dimension]) {
                onnx.nodes.append(ONNXModel.Node("Identity", inputs: [value], outputs: [name], name: name))
                onnx.outputs.append(ONNXModel.ValueInfo(name: name, elementType: .float, shape: shape))
            }
            func pooled(_ hidden: String) throws(RuntimeError) -> String {
                let first = add("Gather", [hidden, int64s([0])], [("axis", .int(1))], name: "cls_token")
                let squeezed = add("Squeeze", [first, int64s([1])])
                return add("Tanh", [try dense(squeezed, prefix + "pooler.dense")], name: "pooler_output")
            }
            let labels = configuration.numLabels ?? 0
            switch model.architecture {
            case .bertModel:
                output("last_hidden_state", hidden!, [batch, sequence, .value(h)])
                if model.hasPooler { output("pooler_output", try pooled(hidden!), [batch, .value(h)]) }
            case .sequenceClassification:
                output("logits", try dense(try pooled(hidden!), "classifier"), [batch, .value(labels)])
            case .tokenClassification:
                let flat = add("Reshape", [hidden!, int64s([-1, Int64(h)])])
                let logits = try dense(flat, "classifier")
                output("logits", add("Reshape", [logits, shapeOf(trailing: [Int64(labels)])]), [batch, sequence, .value(labels)])
            case .preTraining, .maskedLM:
                let flat = add("Reshape", [hidden!, int64s([-1, Int64(h)])])
                var t = try dense(flat, "cls.predictions.transform.dense")
                t = try layerNorm(activate(t, activation), "cls.predictions.transform.LayerNorm")
                // The decoder is tied to the word embeddings: [rows, vocab] = t · Eᵀ + bias.
                let scores = add("Gemm", [t, try parameter(prefix + "embeddings.word_embeddings.weight"), try parameter("cls.predictions.bias")],
                                 [("transB", .int(1))], name: "cls.predictions.decoder")
                let vocabulary = configuration.vocabSize
                let logits = add("Reshape", [scores, shapeOf(trailing: [Int64(vocabulary)])])
                if model.architecture == .preTraining {
                    output("prediction_logits", logits, [batch, sequence, .value(vocabulary)])
                    output("seq_relationship_logits", try dense(try pooled(hidden!), "cls.seq_relationship"), [batch, .value(2)])
                } else {
                    output("logits", logits, [batch, sequence, .value(vocabulary)])
                }
            case .bertCNN, .kerasCNN:
                let cnn = cnn!
                var features: String
                if let hidden {
                    features = hidden
                } else {
                    features = add("Gather", [try parameter(cnn.embedding! + ".weight"), "input_ids"], name: cnn.embedding!)
                }
                output("logits", try cnnHead(features, cnn), [batch, .value(cnn.output.outputs)])
            }
            addUnused()
        }

        /// `[batch, sequence] + trailing` as a shape tensor.
        mutating func shapeOf(trailing: [Int64]) -> String {
            let shape = add("Shape", ["input_ids"])
            return add("Concat", [shape, int64s(trailing)], [("axis", .int(0))])
        }

        /// Word + position + token type embeddings, before their LayerNorm, `[batch, sequence, hidden]`.
        mutating func embeddingSum(prefix: String, idsOnly: Bool) throws(RuntimeError) -> String {
            let words = add("Gather", [try parameter(prefix + "embeddings.word_embeddings.weight"), "input_ids"], name: "word_embeddings")
            let length = add("Gather", [add("Shape", ["input_ids"]), int64s([1])])
            let positionIds = add("Range", [constant(.int64([0], dims: [])), add("Squeeze", [length, int64s([0])]), constant(.int64([1], dims: []))])
            let positions = add("Gather", [try parameter(prefix + "embeddings.position_embeddings.weight"), positionIds], name: "position_embeddings")
            // Without token_type_ids every position has type 0, as transformers assumes.
            let types = add("Gather", [try parameter(prefix + "embeddings.token_type_embeddings.weight"), idsOnly ? constant(.int64([0], dims: [])) : "token_type_ids"],
                            name: "token_type_embeddings")
            return add("Add", [add("Add", [words, positions]), types], name: "embeddings")
        }

        /// The encoder on ai.onnx operators; returns the last hidden state `[batch, sequence, hidden]`.
        mutating func standardEncoder(prefix: String, idsOnly: Bool) throws(RuntimeError) -> String {
            let h = configuration.hiddenSize, heads = configuration.numAttentionHeads, d = configuration.headSize
            let embedded = try layerNorm(embeddingSum(prefix: prefix, idsOnly: idsOnly), prefix + "embeddings.LayerNorm")
            var x = add("Reshape", [embedded, int64s([-1, Int64(h)])])
            // Additive mask [batch, 1, 1, sequence]: 0 where attended, float32's lowest where padded (transformers).
            var mask: String?
            if !idsOnly {
                let keep = add("Cast", ["attention_mask"], [("to", .int(ONNXModel.ElementType.float.rawValue))])
                let masked = add("Mul", [add("Sub", [scalar(1), keep]), scalar(-Float.greatestFiniteMagnitude)])
                mask = add("Unsqueeze", [masked, int64s([1, 2])], name: "attention_mask_bias")
            }
            let headsShape = shapeOf(trailing: [Int64(heads), Int64(d)])
            let hiddenShape = shapeOf(trailing: [Int64(h)])
            let scale = scalar(Float(d).squareRoot())
            for layer in 0..<configuration.numHiddenLayers {
                let base = "\(prefix)encoder.layer.\(layer)."
                func split(_ value: String, _ order: [Int]) -> String {
                    add("Transpose", [add("Reshape", [value, headsShape])], [("perm", .ints(order))])
                }
                let q = split(try dense(x, base + "attention.self.query"), [0, 2, 1, 3])
                let k = split(try dense(x, base + "attention.self.key"), [0, 2, 3, 1])
                let v = split(try dense(x, base + "attention.self.value"), [0, 2, 1, 3])
                var scores = add("Div", [add("MatMul", [q, k]), scale])
                if let mask { scores = add("Add", [scores, mask]) }
                let probabilities = add("Softmax", [scores], [("axis", .int(-1))])
                let context = add("Transpose", [add("MatMul", [probabilities, v])], [("perm", .ints([0, 2, 1, 3]))])
                let merged = add("Reshape", [context, int64s([-1, Int64(h)])])
                let attention = try layerNorm(add("Add", [try dense(merged, base + "attention.output.dense"), x]), base + "attention.output.LayerNorm")
                let intermediate = activate(try dense(attention, base + "intermediate.dense"), activation)
                x = try layerNorm(add("Add", [try dense(intermediate, base + "output.dense"), attention]), base + "output.LayerNorm")
            }
            return add("Reshape", [x, hiddenShape], name: "last_hidden_state")
        }

        /// `x · Wᵀ` for a 3-D `x`: MatMul on the `[in, out]` matrix, stored transposed (what onnxruntime's fused graph
        /// takes, so nothing is folded at load) under a generated name; the node's torch-style name says whose it is.
        mutating func matMul(_ x: String, _ prefix: String) throws(RuntimeError) -> String {
            let weight = try entry(prefix + ".weight")
            let name = "bertinspect::transposed::" + weight.name
            added.insert(prefix + ".weight")
            onnx.initializers.append(ONNXModel.Initializer(name: name, content: .entry(weight.transposedEntry)))
            let node = Self.scopedName(try module(prefix + ".weight"), "MatMul")
            onnx.nodes.append(ONNXModel.Node("MatMul", inputs: [x, float32(name)], outputs: [node], name: node))
            return node
        }

        /// The encoder on onnxruntime's fused operators.
        mutating func fusedEncoder(prefix: String, idsOnly: Bool) throws(RuntimeError) -> String {
            let int32 = ONNXModel.ElementType.int32.rawValue
            let ids = add("Cast", ["input_ids"], [("to", .int(int32))])
            let epsilon = ("epsilon", ONNXModel.AttributeValue.float(Float(configuration.layerNormEps)))
            var embedInputs = [ids]
            if idsOnly {
                embedInputs.append(add("Cast", [add("Mul", ["input_ids", constant(.int64([0], dims: []))])], [("to", .int(int32))]))
            } else {
                embedInputs.append(add("Cast", ["token_type_ids"], [("to", .int(int32))]))
            }
            embedInputs += [
                try parameter(prefix + "embeddings.word_embeddings.weight"), try parameter(prefix + "embeddings.position_embeddings.weight"),
                try parameter(prefix + "embeddings.token_type_embeddings.weight"), try parameter(prefix + "embeddings.LayerNorm.weight"),
                try parameter(prefix + "embeddings.LayerNorm.bias"),
            ]
            if !idsOnly { embedInputs.append(add("Cast", ["attention_mask"], [("to", .int(int32))])) }
            let embedded = add("EmbedLayerNormalization", embedInputs, [epsilon], domain: "com.microsoft", name: "embeddings", outputs: 2)
            let maskIndex = embedded + ":1"
            var x = embedded
            for layer in 0..<configuration.numHiddenLayers {
                let base = "\(prefix)encoder.layer.\(layer)."
                // Attention takes Q, K and V packed: weights [hidden, 3·hidden] (the transposed kernels side by side)
                // and biases [3·hidden], stored packed so that nothing is folded at load.
                let projections = ["query", "key", "value"].map { base + "attention.self." + $0 }
                var weights: [WritePlan.Entry] = []
                var biases: [WritePlan.Entry] = []
                for projection in projections {
                    weights.append(try entry(projection + ".weight"))
                    biases.append(try entry(projection + ".bias"))
                    added.formUnion([projection + ".weight", projection + ".bias"])
                }
                let scope = try module(projections[0] + ".weight").split(separator: ".").dropLast().joined(separator: ".")
                let qkvWeight = "bertinspect::packed::\(scope).qkv.weight"
                let qkvBias = "bertinspect::packed::\(scope).qkv.bias"
                onnx.initializers.append(ONNXModel.Initializer(name: qkvWeight, content: .combined(weights, transposed: true)))
                onnx.initializers.append(ONNXModel.Initializer(name: qkvBias, content: .combined(biases, transposed: false)))
                var attentionInputs = [x, float32(qkvWeight), float32(qkvBias)]
                if !idsOnly { attentionInputs.append(maskIndex) }
                let attention = Self.scopedName(scope, "Attention")
                onnx.nodes.append(ONNXModel.Node("Attention", domain: "com.microsoft", inputs: attentionInputs, outputs: [attention], name: attention,
                                                 attributes: [("num_heads", .int(configuration.numAttentionHeads))]))
                let projected = try matMul(attention, base + "attention.output.dense")
                let normed = add("SkipLayerNormalization", [projected, x, try parameter(base + "attention.output.LayerNorm.weight"),
                                                            try parameter(base + "attention.output.LayerNorm.bias"),
                                                            try parameter(base + "attention.output.dense.bias")],
                                 [epsilon], domain: "com.microsoft", name: base + "attention.output.LayerNorm", outputs: 4)
                let up = try matMul(normed, base + "intermediate.dense")
                let gelu = add(activation == .gelu ? "BiasGelu" : "FastGelu", [up, try parameter(base + "intermediate.dense.bias")],
                               domain: "com.microsoft", name: base + "intermediate")
                let down = try matMul(gelu, base + "output.dense")
                x = add("SkipLayerNormalization", [down, normed, try parameter(base + "output.LayerNorm.weight"),
                                                   try parameter(base + "output.LayerNorm.bias"), try parameter(base + "output.dense.bias")],
                        [epsilon], domain: "com.microsoft", name: base + "output.LayerNorm", outputs: 4)
            }
            return x
        }

        /// The notebook's CNN head on `[batch, sequence, channels]` features: Conv1D ('valid', ReLU) each max-pooled
        /// over time and concatenated, Dense ReLU, Dense sigmoid (one unit) or softmax (more).
        mutating func cnnHead(_ features: String, _ cnn: CNNHead) throws(RuntimeError) -> String {
            let channelsFirst = add("Transpose", [features], [("perm", .ints([0, 2, 1]))])
            var pooled: [String] = []
            for convolution in cnn.convolutions {
                var inputs = [channelsFirst, try parameter(convolution.name + ".weight")]
                if has(convolution.name + ".bias") { inputs.append(try parameter(convolution.name + ".bias")) }
                let conv = add("Conv", inputs, [("kernel_shape", .ints([convolution.width]))], name: convolution.name)
                pooled.append(reduceMax(add("Relu", [conv]), axis: 2))
            }
            let concatenated = pooled.count == 1 ? pooled[0] : add("Concat", pooled, [("axis", .int(1))])
            let hidden = add("Relu", [try dense(concatenated, cnn.hidden.name)])
            let output = try dense(hidden, cnn.output.name)
            return cnn.softmaxOutput ? add("Softmax", [output], [("axis", .int(-1))]) : add("Sigmoid", [output])
        }
    }
}
