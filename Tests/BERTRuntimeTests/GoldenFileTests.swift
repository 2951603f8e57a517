import Testing
import FixtureSupport
import BERTRuntime
import TensorFormats

@Suite("Golden files and comparisons")
struct GoldenFileTests {
    static let path = Fixtures.path("tf-seqcls/golden.json")

    func parse(_ text: String) throws -> GoldenFile {
        try GoldenFile.parse(try JSONParser.parse(text), path: "test.json")
    }

    @Test("a golden file reads its inputs, outputs and tolerance")
    func reads() throws {
        let golden = try GoldenFile.read(path: Self.path)
        // The shapes TensorFlow wrote: rows of the file's own arrays, widths from the model's reference.json.
        let raw = try MappedFile.withContents(of: Self.path) { try JSONParser.parse($0) }
        let config = try #require(try Fixtures.reference("tf-seqcls")["config"])
        let batch = try #require(raw["inputs"]?["input_ids"]?.arrayValue?.count)
        let length = try #require(raw["inputs"]?["input_ids"]?.arrayValue?.first?.arrayValue?.count)
        let hidden = try #require(config["hidden_size"]?.intValue), labels = try #require(config["num_labels"]?.intValue)
        #expect(golden.input.batchSize == batch)
        #expect(golden.input.sequenceLength == length)
        #expect(golden.outputs["logits"]?.shape == [batch, labels])
        #expect(golden.outputs["pooler_output"]?.shape == [batch, hidden])
        #expect(golden.outputs["last_hidden_state"]?.shape == [batch, length, hidden])
        #expect(golden.tolerance == Tolerance(absolute: 1e-4, relative: 1e-4))
        #expect(golden.writer?.hasPrefix("tensorflow") == true)
    }

    @Test("serialized golden files read back bit for bit")
    func roundTrip() throws {
        let golden = try GoldenFile.read(path: Self.path)
        let again = try GoldenFile.parse(try JSONParser.parse(golden.serialized()), path: "again.json")
        #expect(again == golden)
        let awkward = FloatTensor(shape: [1, 4], values: [1.1754944e-38, -3.4028235e38, 0.1, 1.0000001])
        let small = GoldenFile(input: EncoderInput(inputIDs: [[1, 2]]), outputs: ["logits": awkward], writer: "test")
        #expect(try GoldenFile.parse(try JSONParser.parse(small.serialized()), path: "small.json") == small)
    }

    @Test("a missing mask means ones and missing token types mean zeros")
    func defaults() throws {
        let golden = try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[101, 7, 102]]}, "outputs": {"logits": [[0.5, 0.25]]}}"#)
        #expect(golden.input.attentionMask == [[1, 1, 1]])
        #expect(golden.input.tokenTypeIDs == [[0, 0, 0]])
        #expect(golden.tolerance == .standard)
    }

    @Test("another schema is rejected by name")
    func wrongSchema() throws {
        #expect(throws: RuntimeError.goldenSchema(path: "test.json", found: "bertinspect.golden/2")) {
            try parse(#"{"schema": "bertinspect.golden/2", "inputs": {"input_ids": [[1]]}, "outputs": {"logits": [[0.5]]}}"#)
        }
    }

    @Test("outputs whose shape does not fit the inputs are rejected")
    func wrongShapes() throws {
        #expect(throws: RuntimeError.goldenShape(path: "test.json", field: "outputs.logits", expected: "[2, labels] or [2, 3, labels]", actual: [1, 2])) {
            try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[1, 2, 3], [4, 5, 6]]}, "outputs": {"logits": [[0.5, 0.5]]}}"#)
        }
        #expect(throws: RuntimeError.goldenShape(path: "test.json", field: "outputs.last_hidden_state", expected: "[1, 2, hidden]", actual: [1, 3, 1])) {
            try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[1, 2]]}, "outputs": {"last_hidden_state": [[[0.1], [0.2], [0.3]]]}}"#)
        }
        #expect(throws: RuntimeError.goldenShape(path: "test.json", field: "inputs.attention_mask", expected: "[1, 2]", actual: [1, 3])) {
            try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[1, 2]], "attention_mask": [[1, 1, 1]]}, "outputs": {"logits": [[0.5]]}}"#)
        }
        #expect(throws: RuntimeError.goldenMalformed(path: "test.json", reason: "'outputs.logits' is not a rectangular array of shape [2, 2]")) {
            try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[1], [2]]}, "outputs": {"logits": [[0.5, 0.5], [0.5]]}}"#)
        }
        #expect(throws: RuntimeError.goldenMalformed(path: "test.json", reason: "unknown output 'scores' (expected logits, seq_relationship_logits, pooler_output, last_hidden_state)")) {
            try parse(#"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[1]]}, "outputs": {"scores": [[0.5]]}}"#)
        }
    }

    @Test("a golden logit moved by 1e-2 fails the comparison")
    func perturbedGoldenFails() throws {
        let (_, pass) = try cpuPass("tf-seqcls")
        var golden = try GoldenFile.read(path: Self.path)
        let outputs = try pass.run(golden.input)
        #expect(Comparison(golden: golden, actual: outputs).passed)
        golden.outputs["logits"]!.values[3] += 1e-2
        let comparison = Comparison(golden: golden, actual: outputs)
        #expect(!comparison.passed)
        let logits = try #require(comparison.outputs.first { $0.name == "logits" })
        #expect(!logits.passed)
        #expect(logits.failingValues == 1)
        #expect(abs(logits.maxAbsoluteDifference - 1e-2) < 1e-4)
        let others = comparison.outputs.filter { $0.name != "logits" }
        #expect(others.count == 2 && others.allSatisfy { $0.passed })
    }

    @Test("hidden states are compared only where attention_mask is 1")
    func maskedPositionsIgnored() throws {
        let (_, pass) = try cpuPass("tf-seqcls")
        var golden = try GoldenFile.read(path: Self.path)
        let outputs = try pass.run(golden.input)
        // Sequence 1 is padded from position 5: a change there does not count.
        golden.outputs["last_hidden_state"]!.values[(8 + 6) * 32] += 1
        let hidden = try #require(Comparison(golden: golden, actual: outputs).outputs.first { $0.name == "last_hidden_state" })
        #expect(hidden.passed)
        #expect(hidden.comparedValues == (8 + 5 + 7) * 32)
        #expect(hidden.argmaxRows == 8 + 5 + 7)
    }

    @Test("an output the model does not produce fails with a reason")
    func missingOutput() throws {
        let (_, pass) = try cpuPass("tf-base")
        let golden = try GoldenFile.read(path: Fixtures.path("tf-seqcls/golden.json"))
        let comparison = Comparison(golden: golden, actual: try pass.run(golden.input))
        let logits = try #require(comparison.outputs.first { $0.name == "logits" })
        #expect(logits.problem == "the model produces no 'logits'")
        #expect(!comparison.passed)
    }
}
