import Testing
import FixtureSupport
import BERTGraph
import HDF5Formats
import TensorFormats

let formats: [any CheckpointFormat] = [SafetensorsFormat(), HDF5Format()]

/// Every fixture model: folder, the weights file or index to open, and the class it holds.
let fixtureModels: [(String, String, Architecture)] = [
    ("tf-seqcls", "tf_model.h5", .sequenceClassification),
    ("tf-seqcls-fresh", "tf_model.h5", .sequenceClassification),
    ("tf-base", "tf_model.h5", .bertModel),
    ("tf-pretraining", "tf_model.h5", .preTraining),
    ("tf-tokcls", "tf_model.h5", .tokenClassification),
    ("tf-sharded", "tf_model.h5.index.json", .sequenceClassification),
    ("tf-safetensors", "model.safetensors", .sequenceClassification),
    ("pt-seqcls", "model.safetensors", .sequenceClassification),
    ("pt-base", "model.safetensors", .bertModel),
    ("pt-base", "model-legacy.safetensors", .bertModel),
    ("pt-sharded", "model.safetensors.index.json", .sequenceClassification),
    ("pt-f16", "model.safetensors", .sequenceClassification),
    ("pt-bf16", "model.safetensors", .sequenceClassification),
    ("pt-pretraining", "model.safetensors", .preTraining),
    ("keras-cnn-subclassed", "weights.h5", .kerasCNN),
    ("keras-cnn-functional", "weights.h5", .kerasCNN),
    ("keras-bert-cnn-subclassed", "weights.h5", .bertCNN),
    ("keras-bert-cnn-functional", "weights.h5", .bertCNN),
    ("keras-cnn-softmax", "weights.h5", .kerasCNN),
    ("keras-bert-cnn-softmax", "weights.h5", .bertCNN),
    ("keras-full", "model.h5", .bertCNN),
    ("keras3", "model.weights.h5", .kerasCNN),
]

func load(_ folder: String, _ file: String) throws -> (Checkpoint, BERTModel) {
    let checkpoint = try Checkpoint.open(Fixtures.path("\(folder)/\(file)"), formats: formats)
    return (checkpoint, try ModelLoader.load(checkpoint))
}

@Suite("Loading every fixture")
struct ModelLoaderTests {
    @Test("parameter totals equal what Keras / PyTorch reported", arguments: fixtureModels)
    func totals(folder: String, file: String, architecture: Architecture) throws {
        let (_, model) = try load(folder, file)
        let reference = try Fixtures.reference(folder)
        #expect(model.architecture == architecture)
        #expect(model.report.isComplete, "\(model.report.problems)")
        #expect(model.report.unexpected.isEmpty, "\(model.report.unexpected)")
        #expect(model.parameterCounts.total == reference["parameters"]?["total"]?.intValue)
    }

    @Test("shape-derived configuration equals the framework's", arguments: fixtureModels.filter { $0.2.hasEncoder })
    func configuration(folder: String, file: String, architecture: Architecture) throws {
        let (_, model) = try load(folder, file)
        let reference = try #require(try Fixtures.reference(folder)["config"])
        for field in ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                      "max_position_embeddings", "type_vocab_size"] {
            #expect(model.configuration.integer(field) == reference[field]?.intValue, "\(field)")
        }
        if let labels = reference["num_labels"]?.intValue, architecture == .sequenceClassification || architecture == .tokenClassification {
            #expect(model.configuration.numLabels == labels)
        }
    }

    @Test("a Keras full-model save keeps its trainable flags; weight-only saves record none")
    func trainableFlags() throws {
        let (_, full) = try load("keras-full", "model.h5")
        let reference = try Fixtures.reference("keras-full")
        #expect(full.parameterCounts.trainable == reference["parameters"]?["trainable"]?.intValue)
        #expect(full.parameterCounts.nonTrainable == reference["parameters"]?["non_trainable"]?.intValue)
        let (_, weightsOnly) = try load("keras-bert-cnn-functional", "weights.h5")
        #expect(weightsOnly.parameterCounts.trainable == weightsOnly.parameterCounts.total)
        #expect(!weightsOnly.trainableRecorded)
        #expect(full.trainableRecorded)
    }

    @Test("top-level layers match Keras' summary of tf_model.h5")
    func layers() throws {
        let (checkpoint, model) = try load("tf-seqcls", "tf_model.h5")
        let reference = try #require(try Fixtures.reference("tf-seqcls")["layers"]?.arrayValue)
        let summary = ModelSummary(model: model, checkpoint: checkpoint)
        // Keras numbers dropout layers per process (dropout_7, dropout_15): compare without the number.
        func base(_ name: String) -> String { name.hasPrefix("dropout") ? "dropout" : name }
        #expect(summary.layers.map { base($0.name) } == reference.compactMap { $0["name"]?.stringValue.map(base) })
        #expect(summary.layers.map(\.parameters) == reference.compactMap { $0["parameters"]?.intValue })
    }

    @Test("old gamma/beta spellings load, and position_ids is reported, never counted")
    func legacyNames() throws {
        let (_, legacy) = try load("pt-base", "model-legacy.safetensors")
        let (_, current) = try load("pt-base", "model.safetensors")
        #expect(legacy.naming.gammaBeta)
        #expect(legacy.report.ignoredBuffers == ["embeddings.position_ids"])
        #expect(legacy.parameterCounts.total == current.parameterCounts.total)
    }

    @Test("a freshly initialised classifier is flagged; a trained one is not")
    func freshHead() throws {
        let (_, fresh) = try load("tf-seqcls-fresh", "tf_model.h5")
        let (_, trained) = try load("tf-seqcls", "tf_model.h5")
        #expect(fresh.report.warnings.contains { $0.contains("freshly initialised") })
        #expect(!trained.report.warnings.contains { $0.contains("freshly initialised") })
    }

    @Test("the MLM decoder tied to the word embeddings is counted once")
    func tiedDecoder() throws {
        let (_, tf) = try load("tf-pretraining", "tf_model.h5")
        let (_, pt) = try load("pt-pretraining", "model.safetensors")
        #expect(tf.parameterCounts.total == pt.parameterCounts.total)
        #expect(!tf.report.tiedCopies.isEmpty)
    }

    @Test("TensorFlow and PyTorch files of the same model hold the same values, kernels transposed")
    func crossFormatValues() throws {
        let (tfCheckpoint, tf) = try load("tf-seqcls", "tf_model.h5")
        let (ptCheckpoint, pt) = try load("pt-seqcls", "model.safetensors")
        #expect(tf.parameters.count == pt.parameters.count)
        for parameter in tf.parameters {
            let other = try #require(pt.parameter(named: parameter.spec.name))
            let a = try #require(try tfCheckpoint.store.withBytes(of: parameter.stored) { decodeFloats($0, dtype: .f32) })
            let b = try #require(try ptCheckpoint.store.withBytes(of: other.stored) { decodeFloats($0, dtype: .f32) })
            if tf.naming.isTransposed(parameter.spec) {
                let rows = parameter.stored.shape[0], columns = parameter.stored.shape[1]
                let transposed = (0..<(rows * columns)).map { i in a[(i % rows) * columns + i / rows] }
                #expect(transposed == b, "\(parameter.spec.name)")
            } else {
                #expect(a == b, "\(parameter.spec.name)")
            }
        }
    }
}

@Suite("Naming schemes")
struct NamingSchemeTests {
    static var configuration: BERTConfiguration {
        var c = BERTConfiguration()
        c.vocabSize = 30; c.hiddenSize = 8; c.numHiddenLayers = 3; c.numAttentionHeads = 2
        c.intermediateSize = 12; c.maxPositionEmbeddings = 16; c.typeVocabSize = 2; c.numLabels = 3
        return c
    }

    @Test("every parameter maps to a unique stored name", arguments: [
        NamingScheme.pytorch, NamingScheme(family: .pytorch, mainPrefix: "", gammaBeta: true),
        NamingScheme.tensorflowH5(scope: "tf_bert_for_pre_training"),
    ])
    func roundTrip(scheme: NamingScheme) {
        let specs = Self.configuration.allParameters(for: .preTraining) + Self.configuration.allParameters(for: .sequenceClassification)
        let unique = Array(Set(specs))
        #expect(Set(unique.map { scheme.storedName(for: $0) }).count == unique.count)
    }

    @Test("the loader recognises every stored name the frameworks wrote: each tensor is bound, a buffer or a tied copy",
          arguments: ["tf-seqcls", "tf-pretraining", "tf-tokcls", "pt-seqcls", "pt-pretraining", "pt-base", "tf-sharded", "pt-sharded", "tf-safetensors"])
    func recognisesStoredNames(folder: String) throws {
        let checkpoint = try Checkpoint.open(Fixtures.path(folder), formats: [SafetensorsFormat(), HDF5Format()])
        let model = try ModelLoader.load(checkpoint)
        let reference = try Fixtures.reference(folder)
        #expect(model.report.unexpected.isEmpty, "\(model.report.unexpected)")
        #expect(model.report.missing.isEmpty)
        let accounted = model.parameters.count + model.report.ignoredBuffers.count + model.report.tiedCopies.count
        #expect(accounted == reference["stored_tensors"]?.intValue)
        #expect(model.parameterCounts.total == reference["parameters"]?["total"]?.intValue)
    }

    @Test("a canonical name is the path joined with dots, empty and non-ASCII components kept")
    func canonicalNames() {
        func name(_ path: [String]) -> String { ParameterSpec(path: path, shape: [], kind: .bias).name }
        #expect(name(["bert", "encoder", "layer", "11", "output", "LayerNorm", "bias"]) == "bert.encoder.layer.11.output.LayerNorm.bias")
        #expect(name(["conv1d_1", "weight"]) == "conv1d_1.weight")
        #expect(name(["a", "", "b"]) == "a..b")
        #expect(name(["", "x"]) == ".x")
        #expect(name(["x", ""]) == "x.")
        #expect(name(["x"]) == "x")
        #expect(name([]) == "")
        #expect(name(["têtë", "couche_très_longue_au_delà_de_quinze_octets"]) == "têtë.couche_très_longue_au_delà_de_quinze_octets")
    }

    @Test("TF names follow transformers' conversion rules")
    func tensorflowNames() {
        let scheme = NamingScheme.tensorflowH5(scope: "tf_bert_for_sequence_classification")
        let specs = Self.configuration.allParameters(for: .sequenceClassification)
        let names = Set(specs.map { scheme.storedName(for: $0) })
        #expect(names.contains("bert/tf_bert_for_sequence_classification/bert/encoder/layer_._2/attention/self/query/kernel:0"))
        #expect(names.contains("bert/tf_bert_for_sequence_classification/bert/embeddings/position_embeddings/embeddings:0"))
        #expect(names.contains("bert/tf_bert_for_sequence_classification/bert/embeddings/LayerNorm/gamma:0"))
        #expect(names.contains("classifier/tf_bert_for_sequence_classification/classifier/kernel:0"))
        let query = specs.first { $0.name == "bert.encoder.layer.0.intermediate.dense.weight" }!
        #expect(query.shape == [12, 8])
        #expect(scheme.storedShape(for: query) == [8, 12])
    }
}
