import TensorFormats

/// A model as the GGUF file llama.cpp loads for BERT: the tensor names and metadata keys llama.cpp's own converter
/// (`convert_hf_to_gguf.py`, class `BertModel`) writes, and the WordPiece vocabulary as `tokenizer.ggml.*`.
///
/// Unlike that converter, a sequence classifier keeps its pooler as `cls` and its classifier as `cls.output`, so that
/// llama.cpp's classification (RANK) pooling computes transformers' `classifier(tanh(pooler(h_CLS)))`. Heads llama.cpp
/// has no place for (the masked-LM and next-sentence heads, a token classifier) are left out and listed in `dropped`;
/// the notebook's CNN heads cannot be expressed and are refused.
public enum GGUFExport {
    /// llama.cpp's `llama_pooling_type`.
    public enum Pooling: UInt32, Sendable {
        case none = 0, mean = 1, cls = 2, last = 3, rank = 4
    }

    /// The vocabulary: `vocab.txt` lines in id order, and whether the tokenizer lower-cases.
    public struct Vocabulary: Sendable {
        public var tokens: [String]
        public var lowerCase: Bool

        public init(tokens: [String], lowerCase: Bool) {
            self.tokens = tokens
            self.lowerCase = lowerCase
        }
    }

    /// What an export writes, and what it leaves out.
    public struct Export: Sendable {
        public var file: GGUFModel
        /// Names (as the source's safetensors conversion names them) of parameters not written (heads llama.cpp's BERT has no tensor for).
        public var dropped: [String]
    }

    /// ggml types offered by `--dtype`.
    public static func tensorType(_ name: String) -> GGUFModel.TensorType? {
        switch name {
        case "f32": return .f32
        case "f16": return .f16
        case "bf16": return .bf16
        case "q8_0": return .q8_0
        default: return nil
        }
    }

    /// Refuses a model GGUF cannot express (the notebook's CNN heads, naming the layer; a BERT variant config.json
    /// sets up); call it before reading the vocabulary, which such a model may not have.
    public static func checkExpressible(_ model: BERTModel, path: String) throws(GraphError) {
        switch model.architecture {
        case .bertCNN, .kerasCNN:
            let layer = model.kerasLayers.first { $0.kind == .conv1D }?.name ?? "the CNN head"
            throw .unsupported(path: path, reason: "GGUF's BERT (llama.cpp) has no Conv1D layer for the CNN head ('\(layer)'); export it with --to onnx instead")
        default: break
        }
        guard model.configuration.variantSettings.isEmpty else {
            throw .unsupported(path: path, reason: "config.json sets \(model.configuration.variantSettings.joined(separator: ", ")), which llama.cpp's BERT (absolute positions, bidirectional attention) does not compute")
        }
    }

    /// The GGUF of `model`, whose parameters `plan` (a safetensors conversion plan of it) names and lays out.
    public static func export(_ model: BERTModel, plan: WritePlan, type: GGUFModel.TensorType, vocabulary: Vocabulary,
                              pooling: Pooling?, name: String, path: String) throws(GraphError) -> Export {
        try checkExpressible(model, path: path)
        let c = model.configuration
        guard vocabulary.tokens.count == c.vocabSize else {
            throw .unsupported(path: path, reason: "the vocabulary has \(vocabulary.tokens.count) tokens but the word embeddings \(c.vocabSize) rows; GGUF needs the model's own vocab.txt")
        }
        guard ["gelu", "gelu_new", "gelu_pytorch_tanh"].contains(c.hiddenAct) else {
            throw .unsupported(path: path, reason: "hidden_act '\(c.hiddenAct)': llama.cpp's BERT applies GELU")
        }
        let classifier = model.architecture == .sequenceClassification
        var file = GGUFModel()
        var dropped: [String] = []
        for (parameter, entry) in zip(model.parameters, plan.entries) {
            guard let ggufName = tensorName(parameter.spec, classifier: classifier) else {
                dropped.append(entry.name)
                continue
            }
            let shape = entry.shape
            var tensorType = type
            // As llama.cpp's converter: vectors, and the position and token-type tables, stay float32; Q8_0 needs
            // rows of whole 32-value blocks, and a matrix without them falls back to float16.
            if shape.count <= 1 || ggufName.hasPrefix("position_embd.") || ggufName.hasPrefix("token_types.") {
                tensorType = .f32
            } else if type == .q8_0, shape[shape.count - 1] % 32 != 0 {
                tensorType = .f16
            }
            file.tensors.append(GGUFModel.Tensor(name: ggufName, type: tensorType, shape: shape, source: entry))
        }

        let fileType: UInt32 = switch type {
        case .f32: 0
        case .f16: 1
        case .q8_0: 7
        case .bf16: 32
        }
        var metadata: [(String, GGUFModel.Value)] = [
            ("general.architecture", .string("bert")),
            ("general.type", .string("model")),
            ("general.name", .string(name)),
            ("bert.block_count", .uint32(UInt32(c.numHiddenLayers))),
            ("bert.context_length", .uint32(UInt32(c.maxPositionEmbeddings))),
            ("bert.embedding_length", .uint32(UInt32(c.hiddenSize))),
            ("bert.feed_forward_length", .uint32(UInt32(c.intermediateSize))),
            ("bert.attention.head_count", .uint32(UInt32(c.numAttentionHeads))),
            ("bert.attention.layer_norm_epsilon", .float32(Float(c.layerNormEps))),
            ("general.file_type", .uint32(fileType)),
            ("bert.attention.causal", .bool(false)),
        ]
        if classifier {
            metadata.append(("bert.pooling_type", .uint32(Pooling.rank.rawValue)))
            let labels = (0..<(c.numLabels ?? 0)).map { c.id2label[$0] ?? "LABEL_\($0)" }
            metadata.append(("bert.classifier.output_labels", .strings(labels)))
        } else {
            metadata.append(("bert.pooling_type", .uint32((pooling ?? .cls).rawValue)))
        }
        metadata.append(("general.quantization_version", .uint32(2)))
        metadata += tokenizerMetadata(vocabulary, typeVocabularySize: c.typeVocabSize)
        file.metadata = metadata
        return Export(file: file, dropped: dropped)
    }

    /// The `tokenizer.ggml.*` keys of a WordPiece vocabulary, in the "phantom space" form llama.cpp's WPM tokenizer
    /// reads: special tokens (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) unchanged and of type CONTROL (3),
    /// a continuation piece without its `##`, every other token behind U+2581, of type NORMAL (1).
    static func tokenizerMetadata(_ vocabulary: Vocabulary, typeVocabularySize: Int) -> [(String, GGUFModel.Value)] {
        let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        var tokens: [String] = []
        var types: [Int32] = []
        tokens.reserveCapacity(vocabulary.tokens.count)
        types.reserveCapacity(vocabulary.tokens.count)
        for token in vocabulary.tokens {
            if specials.contains(token) {
                tokens.append(token)
                types.append(3)
            } else if token.utf8.starts(with: "##".utf8) {
                // By scalars, not characters: in `##ा` the combining mark joins the second `#` into one character.
                tokens.append(String(String.UnicodeScalarView(token.unicodeScalars.dropFirst(2))))
                types.append(1)
            } else {
                tokens.append("\u{2581}" + token)
                types.append(1)
            }
        }
        var metadata: [(String, GGUFModel.Value)] = [
            ("tokenizer.ggml.token_type_count", .uint32(UInt32(typeVocabularySize))),
            ("tokenizer.ggml.model", .string("bert")),
            ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.token_type", .int32s(types)),
        ]
        func id(_ token: String) -> UInt32? { vocabulary.tokens.firstIndex(of: token).map { UInt32($0) } }
        // gguf-py's key names, its spelling (`seperator`) included; bos falls back to [CLS] and eos to [SEP].
        for (key, token) in [("bos", "[CLS]"), ("eos", "[SEP]"), ("unknown", "[UNK]"), ("seperator", "[SEP]"), ("padding", "[PAD]"),
                             ("cls", "[CLS]"), ("mask", "[MASK]")] {
            if let value = id(token) { metadata.append(("tokenizer.ggml.\(key)_token_id", .uint32(value))) }
        }
        metadata += [
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_eos_token", .bool(true)),
            ("tokenizer.ggml.normalizer.lowercase", .bool(vocabulary.lowerCase)),
        ]
        return metadata
    }

    /// llama.cpp's name of a parameter, or nil for one it has no tensor for.
    static func tensorName(_ spec: ParameterSpec, classifier: Bool) -> String? {
        let path = spec.path
        let leaf = path.last == "weight" ? "weight" : "bias"
        switch path.first {
        case "bert":
            let rest = Array(path.dropFirst())
            switch rest.first {
            case "embeddings":
                switch rest[1] {
                case "word_embeddings": return "token_embd.weight"
                case "position_embeddings": return "position_embd.weight"
                case "token_type_embeddings": return "token_types.weight"
                case "LayerNorm": return "token_embd_norm.\(leaf)"
                default: return nil
                }
            case "encoder":
                guard rest.count >= 5, let layer = Int(rest[2]) else { return nil }
                let module = rest[3..<(rest.count - 1)].joined(separator: ".")
                let name: String
                switch module {
                case "attention.self.query": name = "attn_q"
                case "attention.self.key": name = "attn_k"
                case "attention.self.value": name = "attn_v"
                case "attention.output.dense": name = "attn_output"
                case "attention.output.LayerNorm": name = "attn_output_norm"
                case "intermediate.dense": name = "ffn_up"
                case "output.dense": name = "ffn_down"
                case "output.LayerNorm": name = "layer_output_norm"
                default: return nil
                }
                return "blk.\(layer).\(name).\(leaf)"
            case "pooler":
                return classifier ? "cls.\(leaf)" : nil
            default:
                return nil
            }
        case "classifier":
            return classifier ? "cls.output.\(leaf)" : nil
        default:
            return nil
        }
    }
}
