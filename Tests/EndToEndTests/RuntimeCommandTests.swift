import Foundation
import Testing
import FixtureSupport
import TensorFormats

/// Fixture folders with golden files written by TensorFlow or PyTorch.
let goldenFixtures: [String] = [
    "tf-seqcls", "tf-seqcls-fresh", "tf-base", "tf-pretraining", "tf-tokcls", "tf-sharded", "tf-safetensors", "pt-seqcls",
    "pt-base", "pt-sharded", "pt-f16", "pt-bf16", "pt-pretraining", "keras-bert-cnn-subclassed", "keras-bert-cnn-functional", "keras-full",
    "keras-bert-cnn-softmax",
]

func numbers(_ value: JSONValue?) -> [Double] { value?.arrayValue?.compactMap(\.doubleValue) ?? [] }

@Suite("bertinspect run, verify, tokenize, bench")
struct RuntimeCommandTests {
    @Test("text → tokens → logits matches what TensorFlow computed for the same text")
    func textToLogits() throws {
        let golden = try MappedFile.withContents(of: Fixtures.path("tf-seqcls/golden-16.json")) { try JSONParser.parse($0) }
        let long = "I thought this was a wonderful way to spend time on a too hot summer weekend, "
            + "sitting in the air conditioned theater and watching a light-hearted comedy."
        let result = try bertinspect("run", Fixtures.path("tf-seqcls"), "--max-length", "16", "--json", "--text", long, "--text", "don't be so judgmental")
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        let results = try #require(json["results"]?.arrayValue)
        let expected = try #require(golden["outputs"]?["logits"]?.arrayValue)
        for row in 0..<2 {
            let actual = numbers(results[row]["logits"])
            let want = numbers(expected[row])
            #expect(actual.count == want.count)
            for (a, b) in zip(actual, want) { #expect(abs(a - b) <= 1e-4 + 1e-4 * abs(b)) }
        }
        #expect(results[1]["label"]?.stringValue != nil)
    }

    @Test("the notebook's CNN model built for three classes: run gives Keras' softmax probabilities and their argmax label")
    func softmaxCNN() throws {
        let folder = Fixtures.path("keras-bert-cnn-softmax")
        let golden = try MappedFile.withContents(of: folder + "/golden-16.json") { try JSONParser.parse($0) }
        let long = "I thought this was a wonderful way to spend time on a too hot summer weekend, "
            + "sitting in the air conditioned theater and watching a light-hearted comedy."
        let texts = [long, "don't be so judgmental"]
        let expected = try #require(golden["outputs"]?["logits"]?.arrayValue)
        let result = try bertinspect("run", folder, "--max-length", "16", "--json", "--text", texts[0], "--text", texts[1])
        #expect(result.code == 0, "\(result.stderr)")
        let results = try #require(try JSONParser.parse(result.stdout)["results"]?.arrayValue)
        let text = try bertinspect("run", folder, "--max-length", "16", "-q", "--text", texts[0], "--text", texts[1])
        for row in 0..<2 {
            let want = numbers(expected[row])
            #expect(want.count == 3)
            let actual = numbers(results[row]["probabilities"])
            #expect(actual.count == want.count)
            for (a, b) in zip(actual, want) { #expect(abs(a - b) <= 1e-4 + 1e-4 * abs(b)) }
            let best = want.indices.max { want[$0] < want[$1] }!
            #expect(results[row]["label"] == .string("LABEL_\(best)"))
            #expect(text.stdout.contains("    label LABEL_\(best) (p = "), "\(text.stdout)")
        }
        #expect(results[0]["score"] == nil)
        #expect(!text.stdout.contains("sigmoid"), "\(text.stdout)")

        // eval predicts Keras' argmax over the three classes (labels written as Keras' own argmax: accuracy 1).
        let work = try temporaryFolder()
        let labels = (0..<2).map { row in numbers(expected[row]).indices.max { numbers(expected[row])[$0] < numbers(expected[row])[$1] }! }
        try ("text\tlabel\n" + zip(texts, labels).map { "\($0)\t\($1)" }.joined(separator: "\n") + "\n")
            .write(toFile: work + "/test.tsv", atomically: true, encoding: .utf8)
        let eval = try bertinspect("eval", folder, "--input", work + "/test.tsv", "--max-length", "16", "--json", "-q")
        #expect(eval.code == 0, "\(eval.stderr)")
        let metrics = try JSONParser.parse(eval.stdout)
        #expect(metrics["accuracy"]?.doubleValue == 1)
        #expect(metrics["confusion_matrix"]?.arrayValue?.count == 3)
        // Compared with a two-class sigmoid CNN, the outputs differ: refused, naming both.
        let other = Fixtures.path("keras-bert-cnn-functional")
        let against = try bertinspect("eval", folder, "--input", work + "/test.tsv", "--against", other)
        #expect(against.code == 2)
        #expect(against.stderr.contains("--against \(other) is a ") && against.stderr.contains(" with one sigmoid output, not a classifier with the same outputs as \(folder) (a ")
                && against.stderr.contains(" with 3 softmax outputs)"), "\(against.stderr)")
    }

    @Test("every fixture passes its framework-written golden files", arguments: goldenFixtures)
    func goldens(folder: String) throws {
        for name in ["golden.json", "golden-16.json"] {
            let result = try bertinspect("verify", Fixtures.path(folder), "--golden", Fixtures.path("\(folder)/\(name)"), "--threads", "1")
            #expect(result.code == 0, "\(folder)/\(name): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("PASS"))
        }
    }

    @Test("a deliberately perturbed golden file makes verify exit 1")
    func perturbed() throws {
        let work = try temporaryFolder()
        var text = try MappedFile.withContents(of: Fixtures.path("tf-seqcls/golden.json")) { String(decoding: $0, as: UTF8.self) }
        let json = try JSONParser.parse(text)
        let first = try #require(json["outputs"]?["logits"]?.arrayValue?.first?.arrayValue?.first?.doubleValue)
        guard var members = json.objectValue, let outputsIndex = members.firstIndex(where: { $0.0 == "outputs" }),
              var outputs = members[outputsIndex].1.objectValue, let logitsIndex = outputs.firstIndex(where: { $0.0 == "logits" }),
              var rows = outputs[logitsIndex].1.arrayValue, var row = rows[0].arrayValue
        else { Issue.record("golden file layout"); return }
        row[0] = .number(first + 1e-2)
        rows[0] = .array(row)
        outputs[logitsIndex].1 = .array(rows)
        members[outputsIndex].1 = .object(outputs)
        text = JSONValue.object(members).serialized()
        try text.write(toFile: work + "/perturbed.json", atomically: true, encoding: .utf8)
        let result = try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", work + "/perturbed.json")
        #expect(result.code == 1)
        #expect(result.stdout.contains("FAIL"))
        #expect(try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", work + "/perturbed.json", "--atol", "0.02").code == 0)
    }

    @Test("verify --against compares two checkpoints on the same inputs")
    func against() throws {
        let same = try bertinspect("verify", Fixtures.path("tf-seqcls"), "--against", Fixtures.path("pt-seqcls"), "--text", "a wonderful movie")
        #expect(same.code == 0, "\(same.stdout)\(same.stderr)")
        let different = try bertinspect("verify", Fixtures.path("tf-seqcls"), "--against", Fixtures.path("tf-seqcls-fresh"),
                                        "--golden", Fixtures.path("tf-seqcls/golden.json"))
        #expect(different.code == 1)
    }

    @Test("--record writes a golden file that verify then passes")
    func record() throws {
        let work = try temporaryFolder()
        let recorded = try bertinspect("verify", Fixtures.path("pt-seqcls"), "--record", work + "/g.json", "--text", "was great", "--text", "the movie")
        #expect(recorded.code == 0, "\(recorded.stderr)")
        #expect(try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", work + "/g.json").code == 0)
        try "101 1879 102\n101 99999 102\n".write(toFile: work + "/ids.txt", atomically: true, encoding: .utf8)
        let outOfRange = try bertinspect("verify", Fixtures.path("pt-seqcls"), "--record", work + "/bad.json", "--ids-file", work + "/ids.txt")
        #expect(outOfRange.code == 3)
        #expect(outOfRange.stderr.contains("99999"))
        #expect(!FilePath.isRegularFile(work + "/bad.json"))
    }

    @Test("--record takes a JSON ids file holding input_ids, attention_mask and token_type_ids")
    func recordFromJSONIDs() throws {
        let work = try temporaryFolder()
        let inputs = #"{"input_ids": [[101, 1879, 102, 0], [101, 1880, 1881, 102]], "attention_mask": [[1, 1, 1, 0], [1, 1, 1, 1]], "#
            + #""token_type_ids": [[0, 0, 0, 0], [0, 0, 1, 1]]}"#
        try inputs.write(toFile: work + "/ids.json", atomically: true, encoding: .utf8)
        let recorded = try bertinspect("verify", Fixtures.path("pt-seqcls"), "--record", work + "/g.json", "--ids-file", work + "/ids.json")
        #expect(recorded.code == 0, "\(recorded.stderr)")
        let golden = try MappedFile.withContents(of: work + "/g.json") { try JSONParser.parse($0) }
        #expect(golden["inputs"]?["token_type_ids"]?.arrayValue?[1].arrayValue?.compactMap(\.intValue) == [0, 0, 1, 1])
        #expect(golden["inputs"]?["attention_mask"]?.arrayValue?[0].arrayValue?.compactMap(\.intValue) == [1, 1, 1, 0])
        #expect(try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", work + "/g.json").code == 0)
        try #"{"input_ids": [[101, 102], [101]]}"#.write(toFile: work + "/ragged.json", atomically: true, encoding: .utf8)
        let ragged = try bertinspect("verify", Fixtures.path("pt-seqcls"), "--record", work + "/r.json", "--ids-file", work + "/ragged.json")
        #expect(ragged.code == 3)
        #expect(ragged.stderr.contains("ragged.json"))
    }

    @Test("bad golden files and vocabularies exit 3 with a sentence")
    func badInputs() throws {
        let work = try temporaryFolder()
        try #"{"schema": "other/1", "inputs": {"input_ids": [[1]]}, "outputs": {}}"#.write(toFile: work + "/schema.json", atomically: true, encoding: .utf8)
        let schema = try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", work + "/schema.json")
        #expect(schema.code == 3)
        #expect(schema.stderr.contains("other/1"))
        let vocab = (0..<3000).map { "token\($0)" }.joined(separator: "\n").replacingOccurrences(of: "token100\n", with: "[UNK]\n")
            .replacingOccurrences(of: "token101\n", with: "[CLS]\n").replacingOccurrences(of: "token102\n", with: "[SEP]\n")
            .replacingOccurrences(of: "token0\n", with: "[PAD]\n")
        try vocab.write(toFile: work + "/big-vocab.txt", atomically: true, encoding: .utf8)
        let tooBig = try bertinspect("run", Fixtures.path("tf-seqcls"), "--vocab", work + "/big-vocab.txt", "--text", "hello")
        #expect(tooBig.code == 3)
        let rows = try #require(try Fixtures.reference("tf-seqcls")["config"]?["vocab_size"]?.intValue)
        #expect(tooBig.stderr == "bertinspect run: \(work)/big-vocab.txt: the vocabulary has 3000 lines, more than the \(rows) the model's word embeddings can take.\n")
        let missing = try bertinspect("run", Fixtures.path("tf-seqcls"), "--vocab", work + "/none.txt", "--text", "hello")
        #expect(missing.code == 3)
        #expect(missing.stderr == "bertinspect run: \(work)/none.txt: cannot read the vocabulary file: No such file or directory.\n")
    }

    @Test("--device cuda without a driver exits 4 saying what was looked for")
    func noCUDA() throws {
        guard !hasCUDADriver else { return }
        let result = try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", Fixtures.path("tf-seqcls/golden.json"), "--device", "cuda")
        #expect(result.code == 4)
        #expect(result.stderr.contains("libcuda.so.1"))
        #expect(try bertinspect("verify", Fixtures.path("tf-seqcls"), "--golden", Fixtures.path("tf-seqcls/golden.json"), "--device", "auto").code == 0)
    }

    @Test("tokenize prints the ids transformers' BertTokenizer gives; -- lets a text start with a dash")
    func tokenize() throws {
        let result = try bertinspect("tokenize", "--vocab", Fixtures.path("tokenizer/vocab.txt"), "--json", "--", "don't be so judgmental", "-x")
        #expect(result.code == 0)
        let json = try JSONParser.parse(result.stdout)
        // The ids transformers gave for this text are in the tokenizer cases (tools/tokenizer_cases.py).
        let cases = try JSONParser.parse(try String(contentsOfFile: Fixtures.path("tokenizer/cases.json"), encoding: .utf8))
        let expected = cases["cases"]?.arrayValue?.first { $0["text"] == .string("don't be so judgmental") && $0["lower_case"] == .bool(true) }
        #expect(expected != nil)
        #expect(json.arrayValue?.first?["input_ids"] == expected?["input_ids"])
        #expect(json.arrayValue?.count == 2)
    }

    @Test("bench reports its figures in JSON (no timing is asserted)")
    func bench() throws {
        let result = try bertinspect("bench", Fixtures.path("tf-seqcls"), "--batch", "2", "--seq-len", "16", "--runs", "2", "--threads", "1", "--json")
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        for key in ["median_ms", "sequences_per_second", "gflops", "openblas_core", "threads"] { #expect(json[key] != nil, "\(key)") }
        #expect(json["threads"]?.intValue == 1)
    }
}

@Suite("Sequence classifiers scored as transformers' pipeline scores them")
struct ScoringTests {
    @Test("run gives the scores transformers' text-classification pipeline gives: sigmoid per label, sigmoid of one output, raw regression value",
          arguments: ["multi-label", "single-output", "regression"])
    func pipelineScores(model: String) throws {
        let recorded = try #require(try Fixtures.reference("seqcls-scoring")["models"]?[model])
        let rows = try #require(recorded["texts"]?.arrayValue)
        let folder = Fixtures.path("seqcls-scoring/\(model)")
        var arguments = ["run", folder, "--json"]
        for row in rows { arguments += ["--text", try #require(row["text"]?.stringValue)] }
        let result = try bertinspect(arguments: arguments, timeout: 60)
        #expect(result.code == 0, "\(result.stderr)")
        let results = try #require(try JSONParser.parse(result.stdout)["results"]?.arrayValue)
        #expect(results.count == rows.count)
        for (row, got) in zip(rows, results) {
            let pipeline = try #require(row["pipeline"]?.arrayValue)
            var want: [Int: Double] = [:]
            for entry in pipeline {
                let label = try #require(entry["label"]?.stringValue)
                want[try #require(Int(label.dropFirst("LABEL_".count)))] = try #require(entry["score"]?.doubleValue)
            }
            let scores = model == "regression" ? numbers(got["score"].map { .array([$0]) }) : numbers(got["probabilities"])
            #expect(scores.count == want.count)
            for (index, score) in scores.enumerated() {
                let expected = try #require(want[index])
                #expect(abs(score - expected) <= 1e-4 + 1e-4 * abs(expected), "\(model) \(row["text"]?.stringValue ?? ""): \(score) vs \(expected)")
            }
            if model != "regression" {
                #expect(got["label"] == pipeline.first?["label"])
            }
            if model == "multi-label" {
                let chosen = pipeline.filter { ($0["score"]?.doubleValue ?? 0) >= 0.5 }.compactMap { $0["label"]?.stringValue }
                #expect(Set(got["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(chosen))
            }
        }
    }

    @Test("eval takes a one-output classifier as binary (sigmoid ≥ --threshold) and refuses multi-label and regression models")
    func evalScoring() throws {
        let work = try temporaryFolder()
        let recorded = try #require(try Fixtures.reference("seqcls-scoring")["models"]?["single-output"]?["texts"]?.arrayValue)
        // Labels written as the pipeline's own decision (score ≥ 0.5): accuracy 1.
        let lines = try recorded.map { row -> String in
            let score = try #require(row["pipeline"]?.arrayValue?.first?["score"]?.doubleValue)
            return "\(try #require(row["text"]?.stringValue))\t\(score >= 0.5 ? 1 : 0)"
        }
        try ("text\tlabel\n" + lines.joined(separator: "\n") + "\n").write(toFile: work + "/test.tsv", atomically: true, encoding: .utf8)
        let eval = try bertinspect(arguments: ["eval", Fixtures.path("seqcls-scoring/single-output"), "--input", work + "/test.tsv", "--json", "-q"], timeout: 60)
        #expect(eval.code == 0, "\(eval.stderr)")
        #expect(try JSONParser.parse(eval.stdout)["accuracy"]?.doubleValue == 1)
        for (model, problem) in [("multi-label", "multi_label_classification"), ("regression", "regression")] {
            let folder = Fixtures.path("seqcls-scoring/\(model)")
            let refused = try bertinspect(arguments: ["eval", folder, "--input", work + "/test.tsv"], timeout: 60)
            #expect(refused.code == 2)
            #expect(refused.stderr == "bertinspect eval: eval measures single-label classification; \(folder) is a \(problem) model (config.json's problem_type), whose outputs are not one class per text; see 'bertinspect eval --help'\n")
        }
    }
}
