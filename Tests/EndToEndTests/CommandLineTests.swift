import Foundation
import Testing
import FixtureSupport
import TensorFormats

/// Runs the built `bertinspect` binary (it sits beside the test bundle) and captures its output.
///
/// Output goes to temporary files rather than pipes: many tests run processes at once, and reading a pipe can be
/// interrupted by their signals.
func bertinspect(_ arguments: String...) throws -> (code: Int32, stdout: String, stderr: String) {
    try bertinspect(arguments: arguments)
}

func bertinspect(arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
    try bertinspect(arguments: arguments, timeout: 600)
}

@Suite("bertinspect summary")
struct SummaryCommandTests {
    @Test("prints the notebook model's table and the totals Keras reported")
    func text() throws {
        let result = try bertinspect("summary", Fixtures.path("tf-seqcls"))
        let reference = try Fixtures.reference("tf-seqcls")
        #expect(result.code == 0)
        #expect(result.stderr.isEmpty)
        let total = try #require(reference["parameters"]?["total"]?.intValue)
        // The count as printed, read back: digits and thousands separators after "Total params: ".
        let printed = try #require(result.stdout.components(separatedBy: "Total params: ").dropFirst().first)
        #expect(Int(printed.prefix { $0.isNumber || $0 == "," }.filter(\.isNumber)) == total)
        #expect(result.stdout.contains("bert (TFBertMainLayer)"))
        #expect(result.stdout.contains("classifier (Dense)"))
        let layers = try #require(reference["config"]?["num_hidden_layers"]?.intValue)
        #expect(result.stdout.contains("layer.0–\(layers - 1) (\(layers) × BertLayer)"))
    }

    @Test("--json follows the bertinspect.summary/1 schema", arguments: ["tf-seqcls", "pt-seqcls", "keras-cnn-functional", "keras3"])
    func json(folder: String) throws {
        let result = try bertinspect("summary", Fixtures.path(folder), "--json", "--tensors")
        #expect(result.code == 0)
        let json = try JSONParser.parse(result.stdout)
        let reference = try Fixtures.reference(folder)
        #expect(json["schema"] == .string("bertinspect.summary/1"))
        for key in ["path", "format", "architecture", "config", "config_source", "parameters", "bytes", "dtypes", "layers", "warnings", "tensors"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["parameters"]?["total"]?.intValue == reference["parameters"]?["total"]?.intValue)
        // None of these formats records trainable flags: the count is unknown, not "all".
        #expect(json["parameters"]?["trainable"] == .null)
        #expect(json["parameters"]?["non_trainable"] == .null)
        #expect(json["tensors"]?.arrayValue?.count == reference["stored_tensors"]?.intValue)
    }

    @Test("save_weights after bert.trainable = False: trainable is unknown, not Keras' count stated as all; freeze records it")
    func trainableUnknown() throws {
        let folder = Fixtures.path("tf-seqcls-frozen-weights")
        let reference = try Fixtures.reference("tf-seqcls-frozen-weights")
        let json = try JSONParser.parse(try bertinspect("summary", folder, "--json").stdout)
        #expect(json["parameters"]?["total"]?.intValue == reference["parameters"]?["total"]?.intValue)
        #expect(json["parameters"]?["trainable"] == .null)
        #expect(json["layers"]?.arrayValue?.first?["trainable"] == .null)
        let warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains { $0.hasPrefix("trainable state not recorded: this format stores no trainable flags") })
        let text = try bertinspect("summary", folder)
        #expect(text.stdout.contains("Trainable params: ? (not recorded in this format; bertinspect freeze records it)\n"))

        let out = FilePath.join(NSTemporaryDirectory(), "bertinspect-frozen-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try bertinspect("freeze", folder + "/weights.h5", "--layers", "bert", "-o", out).code == 0)
        let frozen = try JSONParser.parse(try bertinspect("summary", out, "--json").stdout)
        #expect(frozen["parameters"]?["trainable"]?.intValue == reference["parameters"]?["trainable"]?.intValue)
        #expect(frozen["parameters"]?["non_trainable"]?.intValue == reference["parameters"]?["non_trainable"]?.intValue)
    }

    @Test("total bytes are parameters times their dtype size, as Keras prints; tied copies are counted once")
    func totalBytes() throws {
        let reference = try Fixtures.reference("tf-pretraining")
        let json = try JSONParser.parse(try bertinspect("summary", Fixtures.path("tf-pretraining"), "--json").stdout)
        let total = try #require(reference["parameters"]?["total"]?.intValue)
        #expect(json["parameters"]?["total"]?.intValue == total)
        #expect(json["parameter_bytes"]?.intValue == total * 4)
        let vocab = try #require(reference["config"]?["vocab_size"]?.intValue), hidden = try #require(reference["config"]?["hidden_size"]?.intValue)
        #expect(json["tied_values"]?.intValue ?? 0 >= vocab * hidden)
        #expect(try bertinspect("summary", Fixtures.path("tf-pretraining")).stdout.contains("Tied: + "))
    }

    @Test("config fields say whether they were read, inferred or assumed")
    func configSources() throws {
        let result = try bertinspect("summary", Fixtures.path("keras-bert-cnn-functional/weights.h5"), "--json")
        let json = try JSONParser.parse(result.stdout)
        #expect(json["config_source"]?["hidden_size"] == .string("inferred"))
        #expect(json["config_source"]?["num_attention_heads"] == .string("read"))
    }
}

@Suite("Bad input")
struct BadInputTests {
    static let corpus: [(String, String)] = {
        guard let json = try? MappedFile.withContents(of: Fixtures.path("malformed/expected.json"), { try JSONParser.parse($0) }),
              let members = json.objectValue
        else { return [] }
        return members.map { ($0.0, $0.1.stringValue ?? "(expected.json holds no phrase for this file)") }
    }()

    @Test("the malformed corpus is there")
    func corpusPresent() {
        #expect(Self.corpus.count >= 40)
    }

    @Test("every malformed file exits 3 with one line naming the file and the problem", arguments: corpus)
    func malformed(name: String, phrase: String) throws {
        let path = Fixtures.path("malformed/\(name)")
        let result = try bertinspect("summary", path)
        #expect(result.code == 3)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(name))
        if !phrase.isEmpty { #expect(result.stderr.contains(phrase), "\(result.stderr)") }
    }

    @Test("usage errors exit 2 with one line saying what is wrong and where help is", arguments: [
        (["summary"], "bertinspect summary: missing PATH; see 'bertinspect summary --help'\n"),
        (["summary", "--depth", "0", "x"], "bertinspect summary: --depth must be an integer from 1 to 16, got '0'; see 'bertinspect summary --help'\n"),
        (["frobnicate"], "bertinspect: unknown command 'frobnicate'; see 'bertinspect --help'\n"),
    ])
    func usage(arguments: [String], message: String) throws {
        let result = try bertinspect(arguments: arguments)
        #expect(result.code == 2)
        #expect(result.stderr == message)
    }

    @Test("no arguments: the overview on stderr, exit 2")
    func noArguments() throws {
        let result = try bertinspect(arguments: [])
        #expect(result.code == 2)
        #expect(result.stderr.hasPrefix("bertinspect "))
        #expect(result.stderr.contains("Commands:"))
    }

    @Test("a missing path exits 3 naming it")
    func missing() throws {
        let result = try bertinspect("summary", "/nonexistent/ckpt.h5")
        #expect(result.code == 3)
        #expect(result.stderr.contains("/nonexistent/ckpt.h5"))
    }

    @Test("--help and --version succeed")
    func help() throws {
        #expect(try bertinspect("--help").code == 0)
        #expect(try bertinspect("summary", "--help").stdout.contains("\nExamples:\n  bertinspect summary "))
        #expect(try bertinspect("--version").stdout.hasPrefix("bertinspect "))
    }
}
