import Testing
import FixtureSupport
import BERTGraph
import BERTRuntime
import TensorFormats

/// Every golden file in fixtures/: the checkpoint it checks (folder or file) and the golden file's name.
let goldenCases: [(checkpoint: String, golden: String)] = [
    ("tf-seqcls", "golden.json"), ("tf-seqcls", "golden-16.json"), ("tf-seqcls", "golden-pt.json"),
    ("tf-seqcls-fresh", "golden.json"), ("tf-seqcls-fresh", "golden-16.json"),
    ("tf-base", "golden.json"), ("tf-base", "golden-16.json"),
    ("tf-pretraining", "golden.json"), ("tf-pretraining", "golden-16.json"),
    ("tf-tokcls", "golden.json"), ("tf-tokcls", "golden-16.json"),
    ("tf-sharded", "golden.json"), ("tf-sharded", "golden-16.json"),
    ("tf-safetensors", "golden.json"), ("tf-safetensors", "golden-16.json"),
    ("pt-seqcls", "golden.json"), ("pt-seqcls", "golden-16.json"), ("pt-seqcls", "golden-pt.json"),
    ("pt-sharded", "golden.json"), ("pt-sharded", "golden-16.json"),
    ("pt-f16", "golden.json"), ("pt-f16", "golden-16.json"),
    ("pt-bf16", "golden.json"), ("pt-bf16", "golden-16.json"),
    ("pt-base", "golden.json"), ("pt-base", "golden-16.json"),
    ("pt-base/model-legacy.safetensors", "golden.json"), ("pt-base/model-legacy.safetensors", "golden-16.json"),
    ("pt-pretraining", "golden.json"), ("pt-pretraining", "golden-16.json"),
    ("keras-bert-cnn-subclassed", "golden.json"), ("keras-bert-cnn-subclassed", "golden-16.json"),
    ("keras-bert-cnn-functional", "golden.json"), ("keras-bert-cnn-functional", "golden-16.json"),
    ("keras-full", "golden.json"), ("keras-full", "golden-16.json"),
    ("keras-bert-cnn-softmax", "golden.json"), ("keras-bert-cnn-softmax", "golden-16.json"),
]

/// The folder a checkpoint path lives in.
func folder(of checkpoint: String) -> String {
    checkpoint.hasSuffix(".safetensors") || checkpoint.hasSuffix(".h5") ? FilePath.directory(of: checkpoint) : checkpoint
}

@Suite("Forward pass against the frameworks' golden outputs")
struct GoldenFixtureTests {
    @Test("every output is within atol = rtol = 1e-4", arguments: goldenCases)
    func matchesGolden(checkpoint: String, golden: String) throws {
        let (_, pass) = try cpuPass(checkpoint)
        let file = try GoldenFile.read(path: Fixtures.path(folder(of: checkpoint) + "/" + golden))
        #expect(file.tolerance == .standard)
        let outputs = try pass.run(file.input)
        let comparison = Comparison(golden: file, actual: outputs, tolerance: .standard)
        #expect(!comparison.outputs.isEmpty)
        for output in comparison.outputs {
            #expect(output.passed, "\(checkpoint) \(golden) \(output.name): max abs \(output.maxAbsoluteDifference), \(output.failingValues) failing, \(output.problem ?? "")")
            #expect(output.argmaxMatches == output.argmaxRows || output.name == "logits", "\(output.name) argmax")
            // Observed ≤ 1.4e-6 on every fixture (float32 rounding); a real bug lands far above this.
            #expect(output.maxAbsoluteDifference < 1e-5, "\(checkpoint) \(golden) \(output.name): \(output.maxAbsoluteDifference)")
        }
        #expect(comparison.outputs.contains { $0.name == "last_hidden_state" })
        #expect(comparison.passed)
    }

    @Test("the list above covers every golden file in fixtures/")
    func coversEveryGoldenFile() {
        var found: Set<String> = []
        for folder in FilePath.contents(of: Fixtures.root) where FilePath.isDirectory(Fixtures.path(folder)) == true {
            for name in FilePath.contents(of: Fixtures.path(folder)) where name.hasPrefix("golden") && name.hasSuffix(".json") {
                found.insert(folder + "/" + name)
            }
        }
        let covered = Set(goldenCases.map { folder(of: $0.checkpoint) + "/" + $0.golden })
        #expect(found.subtracting(covered).isEmpty, "not tested: \(found.subtracting(covered).sorted())")
        #expect(!found.isEmpty)
    }

    /// The CNN models without BERT have no golden file; their reference.json holds `model.predict`'s output: one
    /// sigmoid unit, or keras-cnn-softmax's three softmax probabilities.
    @Test("Embedding + CNN models reproduce model.predict", arguments: ["keras-cnn-subclassed", "keras-cnn-functional", "keras3", "keras-cnn-softmax"])
    func cnnReferenceLogits(folder: String) throws {
        let (model, pass) = try cpuPass(folder)
        #expect(model.architecture == .kerasCNN)
        let reference = try #require(try Fixtures.reference(folder)["logits"])
        let ids = try #require(integerRows(reference["input_ids"]))
        let expected = flatten(try #require(reference["logits"]))
        let outputs = try pass.run(EncoderInput(inputIDs: ids))
        let logits = try #require(outputs.logits)
        let units = try #require(reference["logits"]?.arrayValue?.first?.arrayValue?.count)
        #expect(logits.shape == [ids.count, units])
        #expect(outputs.lastHiddenState == nil)
        for (actual, wanted) in zip(logits.values, expected) {
            #expect(abs(Double(actual) - wanted) <= 1e-4 + 1e-4 * abs(wanted), "\(folder): \(actual) vs \(wanted)")
        }
        #expect(logits.values.count == expected.count)
    }

    @Test("BERT-bearing models reproduce reference.json's logits",
          arguments: ["tf-seqcls", "pt-seqcls", "tf-tokcls", "tf-pretraining", "pt-pretraining", "keras-bert-cnn-subclassed",
                      "keras-bert-cnn-functional", "keras-full", "keras-bert-cnn-softmax"])
    func referenceLogits(folder: String) throws {
        let (model, pass) = try cpuPass(folder)
        let reference = try #require(try Fixtures.reference(folder)["logits"])
        let key = model.architecture == .preTraining ? "seq_relationship_logits" : "logits"
        try expectOutput(pass, inputs: reference, key: key, expected: flatten(try #require(reference[key])), label: folder)
    }
}

@Suite("PyTorch pickle checkpoints")
struct PyTorchLogitsTests {
    @Test("a pytorch_model.bin folder gives the logits transformers computed from it",
          arguments: ["seqcls", "pretraining", "sharded", "legacy-folder"])
    func logits(folder: String) throws {
        let (model, pass) = try cpuPass("pt-bin/" + folder)
        let reference = try #require(try Fixtures.reference("pt-bin")["folders"]?[folder]?["logits"])
        let key = model.architecture == .preTraining ? "seq_relationship_logits" : "logits"
        try expectOutput(pass, inputs: reference, key: key, expected: flatten(try #require(reference["logits"] ?? reference[key])), label: folder)
    }
}

@Suite("TensorFlow checkpoints")
struct TensorFlowCheckpointLogitsTests {
    @Test("a TensorFlow checkpoint gives the outputs the framework computed from it",
          arguments: [("google-pretraining", ["transformers_pytorch", "logits"]), ("google-classifier", ["intended_pytorch", "logits"]),
                      ("google-bare", ["transformers_pytorch", "logits"]), ("keras-tf-format", ["logits"]), ("tf2-checkpoint", ["logits"])])
    func outputs(entry: String, path: [String]) throws {
        let (_, pass) = try cpuPass("tf-ckpt/" + entry)
        var reference = try #require(try Fixtures.reference("tf-ckpt")["entries"]?[entry])
        for component in path { reference = try #require(reference[component]) }
        let inputs = try #require(try Fixtures.reference("pt-seqcls")["logits"])
        let key = reference["key"]?.stringValue ?? "logits"
        try expectOutput(pass, inputs: inputs, key: key, expected: flatten(try #require(reference["values"])), label: "\(entry) \(key)")
    }
}

/// Runs `pass` on the ids, attention mask and token types recorded in `inputs` and expects output `key` to equal the
/// framework's `expected` values within 1e-4 (absolute plus relative).
func expectOutput(_ pass: ForwardPass<CPUBackend>, inputs: JSONValue, key: String, expected: [Double], label: String) throws {
    let ids = try #require(integerRows(inputs["input_ids"]))
    let outputs = try pass.run(EncoderInput(inputIDs: ids, attentionMask: integerRows(inputs["attention_mask"]),
                                            tokenTypeIDs: integerRows(inputs["token_type_ids"])))
    let actual = try #require(outputs.output(named: key))
    #expect(actual.values.count == expected.count)
    for (a, b) in zip(actual.values, expected) {
        #expect(abs(Double(a) - b) <= 1e-4 + 1e-4 * abs(b), "\(label): \(a) vs \(b)")
    }
}

/// All numbers of a nested JSON array, in order.
func flatten(_ value: JSONValue) -> [Double] {
    if let elements = value.arrayValue { return elements.flatMap(flatten) }
    return value.doubleValue.map { [$0] } ?? []
}

/// A JSON array of integer arrays as token rows.
func integerRows(_ value: JSONValue?) -> [[Int32]]? {
    value?.arrayValue?.map { row in (row.arrayValue ?? []).compactMap { $0.intValue.map { Int32($0) } } }
}
