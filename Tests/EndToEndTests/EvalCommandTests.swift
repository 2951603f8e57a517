import Foundation
import Testing
import FixtureSupport
import TensorFormats

@Suite("bertinspect eval")
struct EvalCommandTests {
    static let reference: JSONValue? = try? Fixtures.reference("eval-sentiment")

    @Test("accuracy, F1, per-class precision/recall/support and the confusion matrix equal scikit-learn's on the framework's predictions",
          arguments: [("test.csv", ["--text-column", "review"]), ("test.jsonl", []), ("test.tsv", [])])
    func metrics(file: String, options: [String]) throws {
        let expected = try #require(Self.reference?["model"]?[file]?["metrics"])
        let result = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", Fixtures.path("eval-sentiment/" + file), "--json"] + options)
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        #expect(json["schema"] == .string("bertinspect.eval/1"))
        #expect(json["examples"]?.intValue == expected["n"]?.intValue)
        for (ours, theirs) in [("accuracy", "accuracy"), ("f1", "f1_binary_pos1"), ("f1_macro", "f1_macro"), ("f1_weighted", "f1_weighted")] {
            let got = try #require(json[ours]?.doubleValue), want = try #require(expected[theirs]?.doubleValue)
            #expect(abs(got - want) < 1e-12, "\(file) \(ours): \(got) vs \(want)")
        }
        let classes = try #require(json["classes"]?.arrayValue)
        for (c, row) in classes.enumerated() {
            for field in ["precision", "recall", "f1"] {
                let want = try #require(expected["per_class"]?[field]?.arrayValue?[c].doubleValue)
                #expect(abs((row[field]?.doubleValue ?? -1) - want) < 1e-12, "\(file) class \(c) \(field)")
            }
            #expect(row["support"]?.intValue == expected["per_class"]?["support"]?.arrayValue?[c].intValue)
            #expect(row["label"]?.stringValue == expected["per_class"]?["names"]?.arrayValue?[c].stringValue)
        }
        #expect(json["confusion_matrix"] == expected["confusion_matrix"])
        #expect(json["truncated"]?.intValue == Self.reference?["model"]?[file]?["truncated_at_64"]?.intValue)
    }

    @Test("--predictions writes one line per example with PyTorch's prediction and probabilities; standard input works")
    func predictions() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let perExample = try #require(Self.reference?["model"]?["per_example"]?.arrayValue)
        let input = try String(contentsOfFile: Fixtures.path("eval-sentiment/test.jsonl"), encoding: .utf8)
        let listing = out + "/predictions.jsonl"
        let result = try runProgram("/bin/sh", ["-c", "\"$0\" eval \"$1\" --input - --input-format jsonl --predictions \"$2\" -q < \"$3\"",
                                                bertinspectPath(), Fixtures.path("eval-sentiment/model"), listing, Fixtures.path("eval-sentiment/test.jsonl")], folder: out)
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Examples:      \(perExample.count)"))
        let lines = try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == perExample.count && input.split(separator: "\n").count == perExample.count)
        for (line, want) in zip(lines, perExample) {
            let row = try JSONParser.parse(String(line))
            #expect(row["index"] == want["index"] && row["label"] == want["label"] && row["predicted"] == want["predicted"])
            let got = row["probabilities"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            let wanted = want["probabilities"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(got.count == 2 && zip(got, wanted).allSatisfy { abs($0 - $1) < 1e-4 }, "\(line)")
        }
        // The listing exists now: a second run without --force exits 5 and leaves it alone.
        let again = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", Fixtures.path("eval-sentiment/test.jsonl"), "--predictions", listing])
        #expect(again.code == 5)
    }

    @Test("CSV edge cases: a BOM, CRLF, quoted commas, doubled quotes and line breaks, empty fields; ragged rows and unknown labels exit 3 naming the line")
    func csvEdges() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let good = out + "/good.csv"
        try "\u{FEFF}id,review,label\r\n1,\"a wonderful, excellent film\",positive\r\n2,\"he said \"\"terrible\"\"\r\nand left\",negative\r\n3,,0\r\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let result = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", good, "--text-column", "review", "--json"])
        #expect(result.code == 0, "\(result.stderr)")
        #expect(try JSONParser.parse(result.stdout)["examples"]?.intValue == 3)
        let ragged = out + "/ragged.csv"
        try "id,review,label\n1,fine,1\n2,\"a, b\",0,extra\n".write(toFile: ragged, atomically: true, encoding: .utf8)
        let bad = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", ragged, "--text-column", "review"])
        #expect(bad.code == 3)
        #expect(bad.stderr.contains("\(ragged): line 3: column 4: the row has 4 fields, the header 3."), "\(bad.stderr)")
        let unknown = out + "/unknown.csv"
        try "review,label\nfine,maybe\n".write(toFile: unknown, atomically: true, encoding: .utf8)
        let label = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", unknown])
        #expect(label.code == 3)
        #expect(label.stderr.contains("line 2: label 'maybe' is neither a class id below 2 nor an id2label name (negative, positive)"), "\(label.stderr)")
        let open = out + "/open.csv"
        try "review,label\n\"never closed,1\n".write(toFile: open, atomically: true, encoding: .utf8)
        let unterminated = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", open])
        #expect(unterminated.code == 3 && unterminated.stderr.contains("line 2: column 1: a quoted field is not closed"), "\(unterminated.stderr)")
    }

    @Test("memory does not grow with the number of texts (streamed in batches)")
    func streaming() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        func peak(_ count: Int) throws -> Int {
            let file = out + "/\(count).jsonl"
            try (0..<count).map { "{\"text\": \"an excellent film number \($0)\", \"label\": \($0 % 2)}" }.joined(separator: "\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let result = try runProgram("/usr/bin/time", ["-f", "%M", bertinspectPath(), "eval", Fixtures.path("eval-sentiment/model"), "--input", file, "-q"], folder: out)
            #expect(result.code == 0, "\(result.stderr)")
            return Int(result.stderr.split(separator: "\n").last ?? "") ?? 0
        }
        let small = try peak(300), large = try peak(3_000)
        #expect(small > 0 && Double(large) <= 1.2 * Double(small) + 2_048, "peak RSS \(small) KB for 300 texts, \(large) KB for 3,000")

        // A run over a second shows progress on a terminal (a pseudo-terminal from script(1)), and none when stderr is
        // a file or with --quiet.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { print("skipped: no script(1) for a terminal"); return }
        let command = "'\(bertinspectPath())' eval '\(Fixtures.path("eval-sentiment/model"))' --input '\(out)/3000.jsonl'"
        let terminal = try runProgram("/usr/bin/script", ["-q", "-c", command + " > /dev/null", "/dev/null"], folder: out)
        #expect(terminal.stdout.contains("\reval: ") && terminal.stdout.contains("examples, "), "\(terminal.stdout.suffix(300))")
        let quietTerminal = try runProgram("/usr/bin/script", ["-q", "-c", command + " -q > /dev/null", "/dev/null"], folder: out)
        #expect(!quietTerminal.stdout.contains("examples, "))
        let file = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", out + "/3000.jsonl"])
        #expect(!file.stderr.contains("examples, ") && file.stderr.hasPrefix("device: "), "\(file.stderr)")
    }
}

/// The built bertinspect binary the end-to-end tests run.
func bertinspectPath() -> String {
    FilePath.join(FilePath.directory(of: FilePath.realPath("/proc/self/exe") ?? CommandLine.arguments[0]), "bertinspect")
}

@Suite("bertinspect eval --against")
struct EvalAgainstTests {
    static let reference: JSONValue? = try? Fixtures.reference("eval-sentiment")

    @Test("a converted copy (safetensors → tf_model.h5) agrees on every example: exit 0")
    func convertedAgrees() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try bertinspect("convert", Fixtures.path("eval-sentiment/model"), "--to", "h5", "-o", out + "/tf/").code == 0)
        let result = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--against", out + "/tf", "--input",
                                                 Fixtures.path("eval-sentiment/test.csv"), "--text-column", "review", "--atol", "1e-4", "--json"])
        #expect(result.code == 0, "\(result.stdout)\(result.stderr)")
        let against = try #require(try JSONParser.parse(result.stdout)["against"])
        #expect(against["agreement_percent"]?.doubleValue == 100 && against["passed"] == .bool(true))
        #expect((against["max_abs_logit_diff"]?.doubleValue ?? 1) <= 1e-4)
    }

    @Test("a perturbed copy disagrees where PyTorch says it does: exit 1, the examples listed")
    func perturbedDisagrees() throws {
        let indices = try #require(Self.reference?["perturbed"]?["disagrees_with_model_at"]?.arrayValue)
        let expected = indices.compactMap { $0.intValue }
        let maxDiff = try #require(Self.reference?["perturbed"]?["max_abs_logit_diff"]?.doubleValue)
        let result = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--against", Fixtures.path("eval-sentiment/perturbed"),
                                                 "--input", Fixtures.path("eval-sentiment/test.jsonl"), "--show", "100", "--json"])
        #expect(result.code == 1)
        let against = try #require(try JSONParser.parse(result.stdout)["against"])
        #expect(against["disagreements"]?.arrayValue?.compactMap { $0["index"]?.intValue } == expected)
        #expect(against["agreeing"]?.intValue == 200 - expected.count)
        #expect(abs((against["max_abs_logit_diff"]?.doubleValue ?? 0) - maxDiff) < 1e-4)
        // Allowing that much disagreement passes.
        let lenient = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--against", Fixtures.path("eval-sentiment/perturbed"),
                                                  "--input", Fixtures.path("eval-sentiment/test.jsonl"), "--min-agreement", "95"])
        #expect(lenient.code == 0, "\(lenient.stdout)")
        #expect(lenient.stdout.contains("Agreement:     \(200 - expected.count) of 200"))
    }
}

@Suite("run --input")
struct RunInputTests {
    @Test("run reads the text column of a CSV with quoted commas and line breaks, and gives PyTorch's probabilities per row")
    func csvTexts() throws {
        let perExample = try #require((try Fixtures.reference("eval-sentiment"))["model"]?["per_example"]?.arrayValue)
        let result = try bertinspect(arguments: ["run", Fixtures.path("eval-sentiment/model"), "--input", Fixtures.path("eval-sentiment/test.csv"),
                                                 "--text-column", "review", "--json"])
        #expect(result.code == 0, "\(result.stderr)")
        let rows = try #require(try JSONParser.parse(result.stdout)["results"]?.arrayValue)
        #expect(rows.count == perExample.count)
        for (row, want) in zip(rows, perExample) {
            let got = row["probabilities"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            let wanted = want["probabilities"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(got.count == 2 && zip(got, wanted).allSatisfy { abs($0 - $1) < 1e-4 }, "\(row["text"]?.stringValue ?? "")")
        }
        let missing = try bertinspect(arguments: ["run", Fixtures.path("eval-sentiment/model"), "--input", Fixtures.path("eval-sentiment/test.csv"),
                                                  "--text-column", "body"])
        #expect(missing.code == 3 && missing.stderr.contains("line 1: no column named 'body' for the text (columns: id, review, label)"), "\(missing.stderr)")
    }
}

@Suite("verify --record --input")
struct VerifyInputTests {
    @Test("a golden file recorded from a JSON Lines file holds one sequence per row, as long as transformers' tokenizer makes it")
    func recordFromFile() throws {
        let perExample = try #require((try Fixtures.reference("eval-sentiment"))["model"]?["per_example"]?.arrayValue)
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let golden = out + "/golden.json"
        let result = try bertinspect(arguments: ["verify", Fixtures.path("eval-sentiment/model"), "--record", golden, "--input",
                                                 Fixtures.path("eval-sentiment/test.jsonl"), "-q"])
        #expect(result.code == 0, "\(result.stderr)")
        let masks = try #require(try MappedFile.withContents(of: golden) { try JSONParser.parse($0) }["inputs"]?["attention_mask"]?.arrayValue)
        #expect(masks.count == perExample.count)
        for (mask, want) in zip(masks, perExample) {
            let length = mask.arrayValue?.compactMap(\.intValue).reduce(0, +)
            #expect(length == min(want["tokens"]?.intValue ?? -1, 64), "row \(want["index"]?.intValue ?? -1)")
        }
        #expect(try bertinspect(arguments: ["verify", Fixtures.path("eval-sentiment/model"), "--golden", golden, "-q"]).code == 0)
    }
}
