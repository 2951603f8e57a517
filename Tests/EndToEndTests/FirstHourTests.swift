import Foundation
import Testing
import FixtureSupport
import TensorFormats
import HDF5Formats

@Suite("First hour: what a new user meets")
struct FirstHourTests {
    @Test("a folder holding two weights files says which one it read and warns about the other")
    func twoWeightsFiles() throws {
        let folder = try copyFixture("tf-seqcls")
        #expect(try bertinspect(arguments: ["convert", folder, "--to", "safetensors"], timeout: 60).code == 0)
        let summary = try bertinspect(arguments: ["summary", folder], timeout: 60)
        #expect(summary.stdout.hasPrefix("File:          \(folder)/model.safetensors ("), "\(summary.stdout)")
        #expect(summary.stdout.contains("the folder also holds tf_model.h5, not read; pass a file to read it"))
        let json = try JSONParser.parse(try bertinspect(arguments: ["summary", folder, "--json"], timeout: 60).stdout)
        #expect(json["weights_file"] == .string(folder + "/model.safetensors"))
        #expect(json["other_weights"] == .array([.string("tf_model.h5")]))
    }

    @Test("numbers keep three significant digits: one Adam step's 0.00099996 prints as 1.00e-3, not 10.0e-4")
    func numberFormat() throws {
        let reference = try Fixtures.reference("tf-seqcls-frozen-weights")
        let change = try #require(reference["diff_vs_tf_seqcls"]?["classifier"]?["max_abs_diff"]?.doubleValue)
        #expect(change < 1e-3 && change > 0.9995e-3, "the fixture's step is the case that overflowed the mantissa")
        let diff = try bertinspect(arguments: ["diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-seqcls-frozen-weights")], timeout: 60)
        #expect(diff.code == 1)
        let row = diff.stdout.split(separator: "\n").first { $0.hasPrefix("classifier ") }
        #expect(row?.contains("2/2") == true && row?.hasSuffix("1.00e-3   ?") == true, "\(diff.stdout)")
        #expect(!diff.stdout.contains("10.0e"))
        let json = try JSONParser.parse(try bertinspect(arguments: ["diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-seqcls-frozen-weights"), "--json"], timeout: 60).stdout)
        let classifier = json["groups"]?.arrayValue?.first { $0["name"] == .string("classifier") }
        #expect(classifier?["max_abs_diff"]?.doubleValue == change)
        let bert = json["groups"]?.arrayValue?.filter { $0["name"]?.stringValue?.hasPrefix("bert") == true } ?? []
        #expect(!bert.isEmpty && bert.allSatisfy { $0["max_abs_diff"]?.doubleValue == reference["diff_vs_tf_seqcls"]?["bert"]?["max_abs_diff"]?.doubleValue })
    }

    @Test("every layer name a freeze error suggests is accepted when pasted back")
    func suggestionsWork() throws {
        for folder in ["tf-seqcls", "keras-bert-cnn-functional", "pt-pretraining"] {
            let error = try bertinspect(arguments: ["freeze", Fixtures.path(folder), "--layers", "nope", "-o", "/tmp/unused.h5"], timeout: 60)
            #expect(error.code == 2)
            let tail = try #require(error.stderr.components(separatedBy: "valid names: ").last)
            let list = try #require(tail.components(separatedBy: "; see 'bertinspect freeze --help'").first)
            let names = list.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: ", ")
            #expect(names.count >= 3, "\(error.stderr)")
            let work = try temporaryFolder()
            for (i, name) in names.enumerated() {
                let out = work + "/\(i).safetensors"
                let result = try bertinspect(arguments: ["convert", Fixtures.path(folder), "--to", "safetensors", "-o", out], timeout: 60)
                #expect(result.code == 0)
                let frozen = try bertinspect(arguments: ["freeze", out, "--layers", name, "--in-place"], timeout: 60)
                #expect(frozen.code == 0, "\(folder): '\(name)' was suggested but refused: \(frozen.stderr)")
            }
        }
    }

    static let foreign: [(String, String)] = {
        guard let json = try? MappedFile.withContents(of: Fixtures.path("foreign/expected.json"), { try JSONParser.parse($0) }),
              let members = json.objectValue else { return [] }
        return members.map { ($0.0, $0.1.stringValue ?? "(not a string)") }
    }()

    @Test("formats written by the frameworks that bertinspect does not read are named, with what to do instead",
          arguments: foreign)
    func foreignFormats(name: String, phrase: String) throws {
        let result = try bertinspect(arguments: ["summary", Fixtures.path("foreign/" + name)], timeout: 60)
        #expect(result.code == 3)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(phrase), "\(result.stderr)")
        #expect(result.stderr.contains("which bertinspect does not read"), "\(result.stderr)")
        #expect(!result.stderr.contains("holds no weights file"))
    }

    @Test("the foreign-format corpus is there")
    func foreignCorpus() {
        #expect(Self.foreign.count >= 4)
    }

    @Test("a cased vocabulary with nothing saying so is not lower-cased, as BertTokenizer(do_lower_case=False) does; the choice is said")
    func casedVocabulary() throws {
        let cases = try JSONParser.parse(try String(contentsOfFile: Fixtures.path("tokenizer-cased/cases.json"), encoding: .utf8))
        for (key, options) in [("cased", [String]()), ("uncased", ["--lower-case"])] {
            for item in cases[key]?.arrayValue ?? [] {
                let text = try #require(item["text"]?.stringValue)
                let result = try bertinspect(arguments: ["tokenize", "--vocab", Fixtures.path("tokenizer-cased"), "--json"] + options + ["--", text], timeout: 60)
                #expect(result.code == 0)
                let encoded = try JSONParser.parse(result.stdout).arrayValue?.first
                #expect(encoded?["input_ids"] == item["input_ids"], "\(key): \(text)")
                if options.isEmpty {
                    #expect(result.stderr.hasPrefix("note: \(Fixtures.path("tokenizer-cased"))/vocab.txt holds capitalised words ("), "\(result.stderr)")
                    #expect(result.stderr.hasSuffix("a cased vocabulary, so text is not lower-cased; --lower-case changes that\n"))
                }
            }
        }
        #expect((cases["cased"]?.arrayValue?.count ?? 0) >= 20)
        // The uncased fixture vocabulary is lower-cased without a note, as transformers' default does.
        let uncased = try bertinspect(arguments: ["tokenize", "--vocab", Fixtures.path("tokenizer/vocab.txt"), "The Movie"], timeout: 60)
        #expect(uncased.stderr.isEmpty)
        #expect(uncased.stdout.contains("[CLS] the movie [SEP]"))
    }

    @Test("one shard given alone is named as a shard, with its index to pass instead")
    func singleShard() throws {
        for folder in ["pt-sharded", "tf-sharded"] {
            let shard = try #require(FilePath.contents(of: Fixtures.path(folder)).first { $0.contains("-00002-of-") })
            let total = try #require(Int(shard.split(separator: "-").last!.prefix(5)))
            let index = FilePath.contents(of: Fixtures.path(folder)).first { $0.hasSuffix(".index.json") }!
            let result = try bertinspect(arguments: ["summary", Fixtures.path(folder + "/" + shard)], timeout: 60)
            #expect(result.code == 3)
            #expect(result.stderr == "bertinspect summary: \(Fixtures.path(folder + "/" + shard)): shard 2 of \(total) of a sharded checkpoint, not a model on its own; pass the index file \(Fixtures.path(folder + "/" + index)) or its folder.\n")
        }
    }

    @Test("run shows a hidden state's shape, and verify shows '-' for an output it could not compare")
    func shapesAndUnsetValues() throws {
        let reference = try Fixtures.reference("pt-base")
        let hidden = try #require(reference["config"]?["hidden_size"]?.intValue)
        let tokens = try JSONParser.parse(try bertinspect(arguments: ["tokenize", "--vocab", Fixtures.path("pt-base/vocab.txt"), "--json", "hello world"], timeout: 60).stdout)
        let count = try #require(tokens.arrayValue?.first?["tokens"]?.arrayValue?.count)
        let run = try bertinspect(arguments: ["run", Fixtures.path("pt-base"), "--text", "hello world", "--output", "last_hidden_state"], timeout: 60)
        #expect(run.stdout.contains("last_hidden_state [\(count), \(hidden)]: "), "\(run.stdout)")

        // A golden file asking for pooler_output of a model that has none (token classification has no pooler).
        let work = try temporaryFolder()
        try #"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[101, 102]]}, "outputs": {"pooler_output": [[0.5, 0.5]]}}"#
            .write(toFile: work + "/golden.json", atomically: true, encoding: .utf8)
        let verify = try bertinspect(arguments: ["verify", Fixtures.path("tf-tokcls"), "--golden", work + "/golden.json"], timeout: 60)
        #expect(verify.code == 1)
        let row = try #require(verify.stdout.split(separator: "\n").first { $0.hasPrefix("pooler_output") })
        #expect(row.contains("-") && row.contains("FAIL (the model produces no 'pooler_output')"), "\(row)")
        #expect(!row.contains(" 0 "), "\(row)")
        let json = try JSONParser.parse(try bertinspect(arguments: ["verify", Fixtures.path("tf-tokcls"), "--golden", work + "/golden.json", "--json"], timeout: 60).stdout)
        #expect(json["outputs"]?.arrayValue?.first?["max_abs_diff"] == .null)
    }

    @Test("run --output on a model with a head adds that encoder output, equal to what transformers computed")
    func encoderOutputWithHead() throws {
        // Row 1 of the golden file PyTorch wrote: its ids, read back as the words they are, give the text to run.
        let golden = try JSONParser.parse(try String(contentsOfFile: Fixtures.path("pt-seqcls/golden.json"), encoding: .utf8))
        let vocab = try String(contentsOfFile: Fixtures.path("pt-seqcls/vocab.txt"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func row(_ value: JSONValue?) -> [Double] { value?.arrayValue?.compactMap(\.doubleValue) ?? [] }
        let mask = row(golden["inputs"]?["attention_mask"]?.arrayValue?[1]).map(Int.init)
        let ids = row(golden["inputs"]?["input_ids"]?.arrayValue?[1]).map(Int.init).prefix(mask.reduce(0, +))
        #expect(ids.count >= 3)
        let tokens = ids.map { vocab[$0] }
        let words = Array(tokens.dropFirst().dropLast())
        #expect(!words.isEmpty && words.allSatisfy { !$0.hasPrefix("##") && !$0.hasPrefix("[") }, "\(tokens)")
        let atol = try #require(golden["tolerance"]?["atol"]?.doubleValue), rtol = try #require(golden["tolerance"]?["rtol"]?.doubleValue)
        func close(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) }
        }
        let hiddenRows = try #require(golden["outputs"]?["last_hidden_state"]?.arrayValue?[1].arrayValue)
        let expected: [String: [Double]] = [
            "last_hidden_state": hiddenRows.prefix(ids.count).flatMap(row),
            "pooler_output": row(golden["outputs"]?["pooler_output"]?.arrayValue?[1]),
        ]
        let logits = row(golden["outputs"]?["logits"]?.arrayValue?[1])
        #expect(!logits.isEmpty && !expected["pooler_output"]!.isEmpty)
        for (name, values) in expected {
            let run = try bertinspect(arguments: ["run", Fixtures.path("pt-seqcls"), "--text", words.joined(separator: " "), "--output", name, "--json"], timeout: 60)
            #expect(run.code == 0, "\(run.stderr)")
            let result = try #require(try JSONParser.parse(run.stdout)["results"]?.arrayValue?.first)
            #expect(result["tokens"]?.arrayValue?.compactMap(\.stringValue) == tokens)
            #expect(close(row(result["logits"]), logits))
            #expect(close(row(result[name]), values), "\(name)")
            let text = try bertinspect(arguments: ["run", Fixtures.path("pt-seqcls"), "--text", words.joined(separator: " "), "--output", name, "-q"], timeout: 60)
            let width = expected["pooler_output"]!.count
            #expect(text.stdout.contains("    \(name) \(name == "pooler_output" ? "[\(width)]" : "[\(ids.count), \(width)]"): "), "\(text.stdout)")
        }

        // An output the model cannot give is refused before anything runs.
        let noEncoder = try bertinspect(arguments: ["run", Fixtures.path("keras-cnn-functional"), "--text", "x", "--output", "mean_pooled", "--json"], timeout: 60)
        #expect(noEncoder.code == 2)
        #expect(noEncoder.stdout.isEmpty)
        #expect(noEncoder.stderr.hasPrefix("bertinspect run: --output mean_pooled: this model (") && noEncoder.stderr.hasSuffix(") has no BERT encoder, only its own output; see 'bertinspect run --help'\n"), "\(noEncoder.stderr)")
        let noPooler = try bertinspect(arguments: ["run", Fixtures.path("tf-tokcls"), "--text", "x", "--output", "pooler_output"], timeout: 60)
        #expect(noPooler.code == 2)
        #expect(noPooler.stderr == "bertinspect run: --output pooler_output: this model has no pooler; use mean_pooled or last_hidden_state; see 'bertinspect run --help'\n")
    }

    @Test("verify and eval --against tokenize with OTHER's vocab.txt when PATH has none, and say so")
    func againstBorrowsVocabulary() throws {
        // The weights and config.json alone, as a copy made without its tokenizer files.
        let copy = try temporaryFolder()
        let model = Fixtures.path("eval-sentiment/model")
        for name in ["model.safetensors", "config.json"] {
            try FileManager.default.copyItem(atPath: model + "/" + name, toPath: copy + "/" + name)
        }
        let note = "note: \(copy) has no vocab.txt; the texts are tokenized with \(model)/vocab.txt\n"
        let reference = try Fixtures.reference("eval-sentiment")
        let examples = try #require(reference["model"]?["per_example"]?.arrayValue)
        let correct = examples.filter { $0["label"] == $0["predicted"] }.count

        let eval = try bertinspect(arguments: ["eval", copy, "--against", model, "--input", Fixtures.path("eval-sentiment/test.csv"),
                                               "--text-column", "review", "--json"], timeout: 120)
        #expect(eval.code == 0, "\(eval.stderr)")
        #expect(eval.stderr.contains(note), "\(eval.stderr)")
        let json = try JSONParser.parse(eval.stdout)
        #expect(json["accuracy"]?.doubleValue == Double(correct) / Double(examples.count))
        #expect(json["against"]?["agreeing"]?.intValue == examples.count)

        let text = try #require(try String(contentsOfFile: Fixtures.path("eval-sentiment/test.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().first?.split(separator: ",").dropFirst().first.map(String.init))
        let verify = try bertinspect(arguments: ["verify", copy, "--against", model, "--text", text], timeout: 60)
        #expect(verify.code == 0, "\(verify.stderr)")
        #expect(verify.stderr.hasPrefix(note), "\(verify.stderr)")
        #expect(verify.stdout.contains("PASS: every output matches."))

        // With no vocab.txt on either side, the error still asks for --vocab.
        let alone = try bertinspect(arguments: ["verify", copy, "--against", copy, "--text", text], timeout: 60)
        #expect(alone.code == 3)
        #expect(alone.stderr == "bertinspect verify: \(copy): no vocab.txt beside the weights; give --vocab FILE.\n")
    }

    @Test("run on a token classifier prints each token and its label in two columns, as the JSON gives them")
    func tokenLabelsInColumns() throws {
        let text = try bertinspect(arguments: ["run", Fixtures.path("tf-tokcls"), "--text", "a wonderful movie", "-q"], timeout: 60)
        #expect(text.code == 0)
        #expect(!text.stdout.contains("\\t"), "a tab escaped into the output: \(text.stdout)")
        let json = try JSONParser.parse(try bertinspect(arguments: ["run", Fixtures.path("tf-tokcls"), "--text", "a wonderful movie", "--json"], timeout: 60).stdout)
        let pairs = try #require(json["results"]?.arrayValue?.first?["labels"]?.arrayValue)
        #expect(pairs.count >= 3)
        let lines = text.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(lines.count == pairs.count)
        let column = (pairs.compactMap { $0["token"]?.stringValue?.count }.max() ?? 0) + 2
        for (line, pair) in zip(lines, pairs) {
            let token = try #require(pair["token"]?.stringValue), label = try #require(pair["label"]?.stringValue)
            #expect(line == "    " + token + String(repeating: " ", count: column - token.count) + label)
        }
    }
}

@Suite("Edges: streaming")
struct StreamingTests {
    @Test("run in batches gives each text the result it gets alone, in input order")
    func batchesAgree() throws {
        let work = try temporaryFolder()
        let cases = try JSONParser.parse(try String(contentsOfFile: Fixtures.path("tokenizer/cases.json"), encoding: .utf8))
        let texts = Array(Set((cases["cases"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue })).sorted()
            .filter { !$0.contains("\n") && !$0.contains("\r") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(texts.count >= 20, "the tokenizer cases give the texts")
        try texts.joined(separator: "\n").write(toFile: work + "/texts.txt", atomically: true, encoding: .utf8)
        func results(_ batch: Int) throws -> [JSONValue] {
            let run = try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--texts-file", work + "/texts.txt", "--batch-size", String(batch), "--json"], timeout: 120)
            #expect(run.code == 0, "\(run.stderr)")
            return try JSONParser.parse(run.stdout)["results"]?.arrayValue ?? []
        }
        let one = try results(1), seven = try results(7)
        #expect(one.count == texts.count && seven.count == texts.count)
        for (a, b) in zip(one, seven) {
            #expect(a["text"] == b["text"])
            #expect(a["label"] == b["label"])
            let x: [Double] = a["logits"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            let y: [Double] = b["logits"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            let largest: Double = zip(x, y).map { abs($0 - $1) }.max() ?? 1
            #expect(x.count == 2)
            #expect(largest < 1e-5)
        }
        let order: [String] = one.map { $0["text"]?.stringValue ?? "" }
        #expect(order == texts)
    }

    @Test("verify --record streams an ids file in batches into a golden file that verifies")
    func recordStreams() throws {
        let work = try temporaryFolder()
        let golden = try JSONParser.parse(try String(contentsOfFile: Fixtures.path("tf-seqcls/golden.json"), encoding: .utf8))
        let rows = try #require(golden["inputs"]?["input_ids"]?.arrayValue)
        let lines = (0..<25).map { i in rows[i % rows.count].arrayValue!.compactMap(\.intValue).map(String.init).joined(separator: " ") }
        try lines.joined(separator: "\n").write(toFile: work + "/ids.txt", atomically: true, encoding: .utf8)
        let record = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--record", work + "/g.json", "--ids-file", work + "/ids.txt",
                                                 "--batch-size", "4"], timeout: 120)
        #expect(record.code == 0, "\(record.stderr)")
        let written = try JSONParser.parse(try String(contentsOfFile: work + "/g.json", encoding: .utf8))
        #expect(written["inputs"]?["input_ids"]?.arrayValue?.count == 25)
        #expect(written["outputs"]?["logits"]?.arrayValue?.count == 25)
        #expect(leftovers(in: work).sorted() == ["g.json", "ids.txt"])
        let verify = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", work + "/g.json"], timeout: 120)
        #expect(verify.code == 0, "\(verify.stdout)")
        // The recorded logits of the fixture's own inputs equal TensorFlow's within the golden tolerance.
        let reference = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", Fixtures.path("tf-seqcls/golden.json")], timeout: 120)
        #expect(reference.code == 0)
    }
}

@Suite("Keras 3 round trip")
struct Keras3RoundTripTests {
    @Test("a Keras 3 .weights.h5 converted to safetensors and back has Keras 3's own layout again, value for value")
    func roundTrip() throws {
        let work = try temporaryFolder()
        let source = Fixtures.path("keras3/model.weights.h5")
        #expect(try bertinspect(arguments: ["convert", source, "--to", "safetensors", "-o", work + "/k3.safetensors"], timeout: 60).code == 0)
        #expect(try bertinspect(arguments: ["convert", work + "/k3.safetensors", "--to", "h5", "-o", work + "/back.weights.h5"], timeout: 60).code == 0)
        let original = try KerasHDF5Store(path: source)
        let back = try KerasHDF5Store(path: work + "/back.weights.h5")
        #expect(back.layout == .keras3Weights)
        #expect(back.tensors.map(\.name).sorted() == original.tensors.map(\.name).sorted())
        // Every `vars` group Keras 3 wrote (empty ones too) comes back with its `name` attribute.
        #expect(back.metadata[KerasHDF5Store.keras3VarsKey] == original.metadata[KerasHDF5Store.keras3VarsKey])
        #expect(original.metadata[KerasHDF5Store.keras3VarsKey]?.contains("\"path\":\"dropout/vars\"") == true)
        for tensor in original.tensors {
            let a = try original.withBytes(of: tensor) { Array($0) }
            let b = try back.withBytes(of: try #require(back.tensor(named: tensor.name))) { Array($0) }
            #expect(a == b, "\(tensor.name)")
        }
    }
}

@Suite("The command line, described once")
struct CommandLineDescriptionTests {
    @Test("usage errors are one line ending in a pointer to --help, with the closest name for a typo")
    func usageErrors() throws {
        let typo = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "h5", "--ouput", "x.h5"], timeout: 30)
        #expect(typo.code == 2)
        #expect(typo.stderr == "bertinspect convert: unknown option '--ouput' (did you mean '--output'?); see 'bertinspect convert --help'\n")
        let command = try bertinspect(arguments: ["summry", Fixtures.path("pt-seqcls")], timeout: 30)
        #expect(command.code == 2)
        #expect(command.stderr == "bertinspect: unknown command 'summry' (did you mean 'summary'?); see 'bertinspect --help'\n")
        let choice = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensor"], timeout: 30)
        #expect(choice.stderr == "bertinspect convert: --to must be one of safetensors, h5, keras, onnx, gguf, got 'safetensor' (did you mean 'safetensors'?); see 'bertinspect convert --help'\n")
        let range = try bertinspect(arguments: ["summary", Fixtures.path("pt-seqcls"), "--depth", "99999999999999999999"], timeout: 30)
        #expect(range.code == 2)
        #expect(range.stderr.hasPrefix("bertinspect summary: --depth must be an integer from 1 to 16"))
    }

    @Test("an option's value is never read as an option, and -- ends the options")
    func valuesAreValues() throws {
        let run = try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--text", "-h"], timeout: 60)
        #expect(run.code == 0)
        #expect(run.stdout.hasPrefix("[1] -h\n"))
        let tokens = try bertinspect(arguments: ["tokenize", "--vocab", Fixtures.path("tokenizer/vocab.txt"), "--", "--help"], timeout: 60)
        #expect(tokens.code == 0)
        #expect(tokens.stdout.hasPrefix("--help\n  tokens:          [CLS] - - "), "\(tokens.stdout)")
    }

    @Test("-V, help COMMAND and -q behave as in git and ripgrep")
    func conventions() throws {
        #expect(try bertinspect(arguments: ["-V"], timeout: 30).stdout.hasPrefix("bertinspect "))
        let help = try bertinspect(arguments: ["help", "diff"], timeout: 30)
        #expect(help.code == 0 && help.stdout.hasPrefix("Usage: bertinspect diff A B"))
        let loud = try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--text", "a movie"], timeout: 60)
        let quiet = try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--text", "a movie", "-q"], timeout: 60)
        #expect(loud.stderr.hasPrefix("device: "))
        #expect(quiet.stderr.isEmpty)
        #expect(quiet.stdout == loud.stdout)
    }

    @Test("bash completion lists every command and each command's options; zsh and fish scripts parse")
    func completions() throws {
        let bash = try bertinspect(arguments: ["completions", "bash"], timeout: 30)
        #expect(bash.code == 0)
        for command in commandNames {
            #expect(bash.stdout.contains(" \(command) ") || bash.stdout.contains("\"\(command) ") || bash.stdout.contains(" \(command)\""), "\(command)")
            let help = try bertinspect(arguments: [command, "--help"], timeout: 30).stdout
            // Every option --help lists is offered by the completion.
            for line in help.split(separator: "\n") where line.hasPrefix("  --") {
                let option = String(line.dropFirst(2).prefix { $0 != " " && $0 != "," })
                #expect(bash.stdout.contains(option), "\(command) \(option)")
            }
        }
        // bash itself parses the script and completes `bertinspect conv` to convert.
        let script = FilePath.join(try temporaryFolder(), "completion.bash")
        try bash.stdout.write(toFile: script, atomically: true, encoding: .utf8)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", "source \(script); COMP_WORDS=(bertinspect conv); COMP_CWORD=1; _bertinspect; echo \"${COMPREPLY[@]}\""]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        shell.waitUntilExit()
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "convert\n")
        for name in ["zsh", "fish"] {
            let result = try bertinspect(arguments: ["completions", name], timeout: 30)
            #expect(result.code == 0 && result.stdout.contains("convert"))
        }
    }

    @Test("the man page renders with man -l and documents every command and exit code 5",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man"), "man is not installed"))
    func manPage() throws {
        let page = try bertinspect(arguments: ["completions", "man"], timeout: 30)
        let file = FilePath.join(try temporaryFolder(), "bertinspect.1")
        try page.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let man = Process()
        man.executableURL = URL(fileURLWithPath: "/usr/bin/man")
        man.arguments = ["-l", file]
        man.environment = ["MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100", "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        man.standardOutput = out
        man.standardError = err
        try man.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        man.waitUntilExit()
        #expect(man.terminationStatus == 0)
        #expect(text.contains("EXIT STATUS"))
        // man justifies lines, so words may be separated by several spaces.
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(words.contains("an output cannot be written"))
        for command in commandNames { #expect(words.contains("bertinspect \(command)"), "\(command)") }
    }
}

/// Every subcommand, as a user finds them in `bertinspect --help`.
@Suite("Command lookup")
struct CommandLookupTests {
    @Test("every command the overview lists runs its own help, by 'CMD --help' and 'help CMD'")
    func everyListedCommandResolves() throws {
        let overview = try bertinspect(arguments: ["--help"], timeout: 30).stdout
        let section = try #require(overview.components(separatedBy: "Commands:\n").dropFirst().first)
        let listed = section.split(separator: "\n").prefix { $0.hasPrefix("  ") }.map { String($0.dropFirst(2).prefix { $0 != " " }) }
        #expect(listed.count == 13)
        #expect(Set(commandNames).isSubset(of: Set(listed)))
        for name in listed {
            for arguments in [[name, "--help"], ["help", name]] {
                let result = try bertinspect(arguments: arguments, timeout: 30)
                #expect(result.code == 0, "\(arguments)")
                #expect(result.stdout.hasPrefix("Usage: bertinspect \(name) ") || result.stdout.contains("\nUsage: bertinspect \(name) "), "\(arguments)")
            }
        }
        let unknown = try bertinspect(arguments: ["sumary", "x"], timeout: 30)
        #expect(unknown.code == 2)
        #expect(unknown.stderr == "bertinspect: unknown command 'sumary' (did you mean 'summary'?); see 'bertinspect --help'\n")
    }
}

let commandNames = ["summary", "convert", "freeze", "unfreeze", "diff", "stats", "report", "run", "verify", "bench", "tokenize", "completions"]

@Suite("Several PATHs and colour")
struct SeveralPathsTests {
    @Test("summary takes several PATHs: one JSON line each; a bad one gets its error line and the rest still print")
    func severalPaths() throws {
        let bad = Fixtures.path("malformed/random-bytes.bin")
        let result = try bertinspect(arguments: ["summary", Fixtures.path("pt-seqcls"), bad, Fixtures.path("tf-base"), "--json"], timeout: 60)
        #expect(result.code == 3)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONParser.parse(String(lines[0])), second = try JSONParser.parse(String(lines[1]))
        #expect(first["parameters"]?["total"]?.intValue == (try Fixtures.reference("pt-seqcls"))["parameters"]?["total"]?.intValue)
        #expect(second["parameters"]?["total"]?.intValue == (try Fixtures.reference("tf-base"))["parameters"]?["total"]?.intValue)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.hasPrefix("bertinspect summary: \(bad): "))
    }

    @Test("output piped to a file carries no colour, and NO_COLOR is honoured")
    func noColourWhenPiped() throws {
        let verify = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", Fixtures.path("tf-seqcls/golden.json")],
                                     timeout: 60, environment: ["NO_COLOR": "1"])
        #expect(verify.code == 0)
        #expect(!verify.stdout.contains("\u{1b}"))
        #expect(verify.stdout.contains("PASS: every output matches."))
    }
}

@Suite("Output locations and defaults")
struct OutputLocationTests {
    @Test("-o NAME without a suffix is a folder with what from_pretrained needs; a file OUT is written alone")
    func outputRules() throws {
        let work = try temporaryFolder()
        let source = Fixtures.path("tf-seqcls")
        let toFolder = try bertinspect(arguments: ["convert", source, "--to", "safetensors", "-o", work + "/seqcls-pt"], timeout: 60)
        #expect(toFolder.code == 0)
        #expect(!toFolder.stderr.contains("note:"), "\(toFolder.stderr)")
        let folder = Set(FilePath.contents(of: work + "/seqcls-pt"))
        #expect(folder == ["model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"])
        // config.json is the source's own, byte for byte.
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/seqcls-pt/config.json")) == Data(contentsOf: URL(fileURLWithPath: source + "/config.json")))

        let toFile = try bertinspect(arguments: ["convert", source, "--to", "safetensors", "-o", work + "/deep/er/x.safetensors"], timeout: 60)
        #expect(toFile.code == 0)
        #expect(FilePath.contents(of: work + "/deep/er") == ["x.safetensors"])
        // What the weights alone cannot say is named: read back alone, the file would get a head count of hidden / 64.
        let config = try JSONParser.parse(try String(contentsOfFile: source + "/config.json", encoding: .utf8))
        let heads = try #require(config["num_attention_heads"]?.intValue)
        let alone = try JSONParser.parse(try bertinspect(arguments: ["summary", work + "/deep/er/x.safetensors", "--json"], timeout: 60).stdout)
        #expect(alone["config"]?["num_attention_heads"]?.intValue != heads)
        let note = try #require(toFile.stderr.split(separator: "\n").first { $0.hasPrefix("note: \(work)/deep/er/x.safetensors holds the weights alone; ") })
        #expect(note.contains("num_attention_heads") && note.hasSuffix("came from config.json, which a file OUT does not get: give a folder OUT or --with-config to keep them"), "\(note)")
        let withConfig = try bertinspect(arguments: ["convert", source, "--to", "h5", "-o", work + "/with/x.h5", "--with-config"], timeout: 60)
        #expect(withConfig.code == 0)
        #expect(!withConfig.stderr.contains("note:"), "\(withConfig.stderr)")
        #expect(Set(FilePath.contents(of: work + "/with")).isSuperset(of: ["x.h5", "config.json", "vocab.txt"]))
        let mismatch = try bertinspect(arguments: ["convert", source, "--to", "h5", "-o", work + "/y.safetensors"], timeout: 60)
        #expect(mismatch.code == 2)
        #expect(mismatch.stderr.contains("does not end in .h5, which --to h5 writes"))
    }

    @Test("a Keras CNN model is described by the class its file records, and no made-up class lands in config.json")
    func kerasClasses() throws {
        let reference = try Fixtures.reference("keras-full")
        let json = try JSONParser.parse(try bertinspect(arguments: ["summary", Fixtures.path("keras-full"), "--json"], timeout: 60).stdout)
        let architecture = try #require(json["architecture"]?.stringValue)
        #expect(architecture.hasPrefix("Functional (Keras model"))
        #expect(reference["writer"]?["class"]?.stringValue?.contains("functional") == true)
        let plain = try JSONParser.parse(try bertinspect(arguments: ["summary", Fixtures.path("keras-bert-cnn-subclassed"), "--json"], timeout: 60).stdout)
        #expect(plain["architecture"] == .string("Keras model (BERT + Conv1D head)"))
        let out = try temporaryFolder()
        #expect(try bertinspect(arguments: ["convert", Fixtures.path("keras-bert-cnn-functional"), "--to", "safetensors", "-o", out + "/"], timeout: 60).code == 0)
        let config = try JSONParser.parse(try String(contentsOfFile: out + "/config.json", encoding: .utf8))
        #expect(config["architectures"] == nil)
        #expect(config["model_type"] == .string("bert"))
    }

    @Test("defaults fit the model: lengths are min(128, max_position_embeddings); a longer --max-length names the maximum")
    func defaultsFit() throws {
        let reference = try Fixtures.reference("tf-seqcls")
        let positions = try #require(reference["config"]?["max_position_embeddings"]?.intValue)
        #expect(positions < 128, "the fixture is the case where 128 does not fit")
        let bench = try bertinspect(arguments: ["bench", Fixtures.path("tf-seqcls"), "--runs", "1", "--threads", "1", "--batch", "1", "--json"], timeout: 120)
        #expect(bench.code == 0, "\(bench.stderr)")
        #expect(try JSONParser.parse(bench.stdout)["seq_len"]?.intValue == positions)
        let cnn = try bertinspect(arguments: ["run", Fixtures.path("keras-bert-cnn-functional"), "--text", "a wonderful movie"], timeout: 60)
        #expect(cnn.code == 0, "\(cnn.stderr)")
        let long = String(repeating: "wonderful movie ", count: 100)
        #expect(try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--text", long], timeout: 60).code == 0)
        let explicit = try bertinspect(arguments: ["run", Fixtures.path("tf-seqcls"), "--text", "x", "--max-length", "128"], timeout: 60)
        #expect(explicit.code == 2)
        #expect(explicit.stderr.contains("--max-length 128 is more than this model's max_position_embeddings (\(positions)); use \(positions) or less"))
    }
}
