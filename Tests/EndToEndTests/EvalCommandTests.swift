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

@Suite("eval batching")
struct EvalBatchingTests {
    /// transformers' token count of each example, truncated at the fixture's 64.
    static func lengths() throws -> [Int] {
        let perExample = try #require((try Fixtures.reference("eval-sentiment"))["model"]?["per_example"]?.arrayValue)
        return try perExample.map { min(try #require($0["tokens"]?.intValue), 64) }
    }

    @Test("batches grouped by length compute less padding than file order; tokens and padded positions follow transformers' lengths; the metrics do not move")
    func lengthGrouping() throws {
        let lengths = try Self.lengths()
        func run(_ extra: [String]) throws -> JSONValue {
            let result = try bertinspect(arguments: ["eval", Fixtures.path("eval-sentiment/model"), "--input", Fixtures.path("eval-sentiment/test.jsonl"),
                                                     "--batch-size", "32", "--json"] + extra)
            #expect(result.code == 0, "\(result.stderr)")
            return try JSONParser.parse(result.stdout)
        }
        let sorted = try run([]), inOrder = try run(["--file-order"])
        // The reference pads each batch of 32 in file order to its longest, as the fixture's script fed PyTorch.
        let fileOrderPositions = stride(from: 0, to: lengths.count, by: 32).reduce(0) { total, start in
            let chunk = lengths[start..<min(start + 32, lengths.count)]
            return total + chunk.count * (chunk.max() ?? 0)
        }
        let tokens = lengths.reduce(0, +)
        #expect(inOrder["tokens"]?.intValue == tokens && sorted["tokens"]?.intValue == tokens)
        #expect(inOrder["computed_positions"]?.intValue == fileOrderPositions)
        #expect(inOrder["batching"]?.stringValue == "file-order" && sorted["batching"]?.stringValue == "length")
        // Grouped by length, batches of at most 32 padded to their own longest: never fewer positions than tokens,
        // never more than the file order computes, and at most the 32-sequence chunks of the lengths sorted.
        let descending = lengths.sorted(by: >)
        let chunked = stride(from: 0, to: descending.count, by: 32).reduce(0) { total, start in
            total + min(32, descending.count - start) * descending[start]
        }
        let groupedPositions = try #require(sorted["computed_positions"]?.intValue)
        #expect(groupedPositions >= tokens && groupedPositions <= chunked, "\(groupedPositions) vs \(tokens)…\(chunked)")
        for json in [inOrder, sorted] {
            let positions = try #require(json["computed_positions"]?.intValue)
            let fraction = try #require(json["padding_fraction"]?.doubleValue)
            #expect(abs(fraction - Double(positions - tokens) / Double(positions)) < 1e-12)
        }
        #expect(groupedPositions < fileOrderPositions)
        for key in ["accuracy", "f1", "confusion_matrix"] { #expect(sorted[key] == inOrder[key], "\(key)") }
    }
}

@Suite("tokenize --input and --pair-column")
struct TokenizeInputTests {
    /// The pair cases of fixtures/tokenizer/cases.json (transformers' `tokenizer(text, pair, max_length=N,
    /// truncation='longest_first', padding='max_length')`), as a CSV with a text and a pair column.
    static func pairCases() throws -> [JSONValue] {
        try #require(try MappedFile.withContents(of: Fixtures.path("tokenizer/cases.json")) { try JSONParser.parse($0) }["pairs"]?.arrayValue)
    }

    static func csv(_ cases: [JSONValue]) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return "text,pair\r\n" + cases.map { quoted($0["text"]?.stringValue ?? "") + "," + quoted($0["pair"]?.stringValue ?? "") }.joined(separator: "\r\n") + "\r\n"
    }

    /// The reference's values where its attention mask is 1 (it pads to max_length; tokenize does not pad).
    static func unpadded(_ values: JSONValue?, mask: JSONValue?) -> [Int] {
        zip(values?.arrayValue ?? [], mask?.arrayValue ?? []).compactMap { $1.intValue == 1 ? $0.intValue : nil }
    }

    @Test("tokenize --input FILE --pair-column gives transformers' pair encodings, one JSON line per row")
    func pairsFromCSV() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let groups = Dictionary(grouping: try Self.pairCases()) { "\($0["max_length"]?.intValue ?? 0) \($0["lower_case"]?.boolValue ?? true)" }
        for (_, cases) in groups {
            let file = out + "/pairs.csv"
            try Self.csv(cases).write(toFile: file, atomically: true, encoding: .utf8)
            let maxLength = try #require(cases[0]["max_length"]?.intValue)
            let lowerCase = try #require(cases[0]["lower_case"]?.boolValue)
            let result = try bertinspect(arguments: ["tokenize", "--vocab", Fixtures.path("tokenizer/vocab.txt"), lowerCase ? "--lower-case" : "--no-lower-case",
                                                     "--input", file, "--text-column", "text", "--pair-column", "pair", "--max-length", String(maxLength), "--json"])
            #expect(result.code == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == cases.count)
            for (line, want) in zip(lines, cases) {
                let got = try JSONParser.parse(String(line))
                #expect(got["pair"] == want["pair"])
                #expect(got["input_ids"]?.arrayValue?.compactMap(\.intValue) == Self.unpadded(want["input_ids"], mask: want["attention_mask"]), "\(want)")
                #expect(got["token_type_ids"]?.arrayValue?.compactMap(\.intValue) == Self.unpadded(want["token_type_ids"], mask: want["attention_mask"]))
            }
        }
    }

    @Test("tokenize --input - streams standard input: one line per review, as long as transformers' tokenizer makes it")
    func standardInput() throws {
        let perExample = try #require((try Fixtures.reference("eval-sentiment"))["model"]?["per_example"]?.arrayValue)
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try runProgram("/bin/sh", ["-c", "\"$0\" tokenize --vocab \"$1\" --input - --input-format csv --text-column review --json < \"$2\"",
                                                bertinspectPath(), Fixtures.path("eval-sentiment/model"), Fixtures.path("eval-sentiment/test.csv")], folder: out)
        #expect(result.code == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == perExample.count)
        for (line, want) in zip(lines, perExample) {
            #expect(try JSONParser.parse(String(line))["input_ids"]?.arrayValue?.count == want["tokens"]?.intValue, "row \(want["index"]?.intValue ?? -1)")
        }
    }

    @Test("verify --record --pair-column records transformers' pair inputs; --pair-column needs --input and excludes --pair")
    func recordPairs() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let cases = try Self.pairCases().filter { $0["max_length"]?.intValue == 16 && $0["lower_case"]?.boolValue == true }
        #expect(!cases.isEmpty)
        let file = out + "/pairs.csv", golden = out + "/golden.json"
        try Self.csv(cases).write(toFile: file, atomically: true, encoding: .utf8)
        let result = try bertinspect(arguments: ["verify", Fixtures.path("eval-sentiment/model"), "--record", golden, "--input", file,
                                                 "--text-column", "text", "--pair-column", "pair", "--max-length", "16", "-q"])
        #expect(result.code == 0, "\(result.stderr)")
        let inputs = try #require(try MappedFile.withContents(of: golden) { try JSONParser.parse($0) }["inputs"])
        for (i, want) in cases.enumerated() {
            let mask = inputs["attention_mask"]?.arrayValue?[i]
            #expect(Self.unpadded(inputs["input_ids"]?.arrayValue?[i], mask: mask) == Self.unpadded(want["input_ids"], mask: want["attention_mask"]))
            #expect(Self.unpadded(inputs["token_type_ids"]?.arrayValue?[i], mask: mask) == Self.unpadded(want["token_type_ids"], mask: want["attention_mask"]))
        }
        let noInput = try bertinspect(arguments: ["run", Fixtures.path("eval-sentiment/model"), "--text", "a", "--pair-column", "pair"])
        #expect(noInput.code == 2 && noInput.stderr.contains("--pair-column names a column of --input FILE; give --input"), "\(noInput.stderr)")
        let both = try bertinspect(arguments: ["run", Fixtures.path("eval-sentiment/model"), "--input", file, "--pair-column", "pair", "--pair", "b"])
        #expect(both.code == 2 && both.stderr.contains("give --pair TEXT or --pair-column COL, not both"), "\(both.stderr)")
    }
}

@Suite("eval on the notebook's CNN models")
struct EvalCNNTests {
    @Test("the sigmoid output is Keras' model.predict on the same ids, and the prediction is p ≥ --threshold")
    func sigmoidThreshold() throws {
        let reference = try #require(try Fixtures.reference("keras-cnn-functional")["logits"])
        let wanted = try #require(reference["logits"]?.arrayValue).compactMap { $0.arrayValue?.first?.doubleValue }
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // The two texts whose uncased tokens are the reference's input_ids, fed at its length (12) as the notebook did.
        try "review,label\nI thought this was a wonderful way to spend time,1\n\"don't be so judgmental\",0\n"
            .write(toFile: out + "/texts.csv", atomically: true, encoding: .utf8)
        for threshold in [0.5, (wanted[0] + wanted[1]) / 2] {
            let listing = out + "/p\(threshold).jsonl"
            let result = try bertinspect(arguments: ["eval", Fixtures.path("keras-cnn-functional"), "--input", out + "/texts.csv", "--max-length", "12",
                                                     "--threshold", String(threshold), "--predictions", listing, "-q"])
            #expect(result.code == 0, "\(result.stderr)")
            let rows = try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
            #expect(rows.count == wanted.count)
            for (row, p) in zip(rows, wanted) {
                let probability = try #require(row["probabilities"]?.arrayValue?.last?.doubleValue)
                #expect(abs(probability - p) < 1e-5, "\(probability) vs Keras \(p)")
                #expect(row["predicted"]?.intValue == (p >= threshold ? 1 : 0), "threshold \(threshold)")
            }
        }
    }
}
