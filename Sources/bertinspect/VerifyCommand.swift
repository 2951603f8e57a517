import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

let verifyCommand = Command(
    name: "verify",
    abstract: "Check a model's outputs against a golden file or another checkpoint (exit 1 on a difference).",
    help: """
    Usage: bertinspect verify PATH --golden FILE [--atol X] [--rtol X] [--json]
           bertinspect verify PATH --against OTHER (--golden FILE | --text TEXT…) [--atol X] [--rtol X] [--json]
           bertinspect verify PATH --record FILE (--text TEXT… | --ids-file F) [--max-length N] [--force]
           (all forms also take --device cpu|cuda|auto, --tf32, --threads N, --vocab F, --lower-case|--no-lower-case)

    A golden file (schema bertinspect.golden/1) holds inputs (input_ids, optional attention_mask and
    token_type_ids) and any of the outputs logits, seq_relationship_logits, pooler_output, last_hidden_state.
    Pass means |a − b| ≤ atol + rtol·|b| everywhere (hidden states only where attention_mask is 1). --atol/--rtol
    override the file's tolerance, which overrides the defaults (1e-4). --ids-file holds one sequence of
    space-separated ids per line, or a JSON object with input_ids (and optionally the other inputs).

    Example:
      bertinspect verify fixtures/tf-seqcls --golden fixtures/tf-seqcls/golden.json
    """,
    run: runVerify
)

func runVerify(_ arguments: [String]) throws -> ExitCode {
    let parsed = try Arguments(
        arguments, flags: ["--json", "--force", "--lower-case", "--no-lower-case", "--tf32"],
        options: ["--golden", "--against", "--record", "--text", "--texts-file", "--ids-file", "--atol", "--rtol", "--max-length",
                  "--device", "--threads", "--vocab"])
    let path = try parsed.single("PATH")
    let device = try Device.parse(parsed.value("--device"))
    let threads = try parsed.value("--threads").map { _ in try parsed.integer("--threads", default: 1, in: 1...256) }
    let tf32 = try tf32Option(parsed, device: device)
    func number(_ option: String) throws -> Double? {
        guard let text = parsed.value(option) else { return nil }
        guard let value = Double(text), value >= 0 else { throw UsageError("\(option) must be a non-negative number, got '\(text)'") }
        return value
    }
    let atol = try number("--atol"), rtol = try number("--rtol")
    let modes = [parsed.value("--golden") != nil && parsed.value("--against") == nil, parsed.value("--against") != nil, parsed.value("--record") != nil]
    guard modes.filter({ $0 }).count == 1 else { throw UsageError("give one of --golden FILE, --against OTHER or --record FILE") }

    let session = try ModelSession(path: path, device: device, threads: threads, tf32: tf32)
    if let record = parsed.value("--record") {
        let input = try recordInput(parsed, session: session)
        let outputs = try session.runner.run(input)
        let golden = GoldenFile(input: input, outputs: outputs, tolerance: Tolerance(absolute: atol ?? 1e-4, relative: rtol ?? 1e-4),
                                writer: "bertinspect \(toolVersion) (\(session.runner.backendName))")
        let file = try openOutput(record, overwrite: parsed.has("--force"))
        try Array(golden.serialized().utf8).withUnsafeBytes { try file.write($0) }
        try file.commit()
        print("recorded \(outputs.named.map(\.name).joined(separator: ", ")) for \(input.batchSize) sequence(s) of length \(input.sequenceLength) in \(record)")
        return .success
    }

    let golden: GoldenFile
    if let other = parsed.value("--against") {
        let input: EncoderInput
        if let goldenPath = parsed.value("--golden") {
            input = try GoldenFile.read(path: goldenPath).input
        } else {
            let texts = try collectTexts(parsed)
            guard !texts.isEmpty else { throw UsageError("--against needs --golden FILE or --text TEXT") }
            let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed))
            input = encodeBatch(texts, pair: nil, tokenizer: tokenizer, maxLength: try parsed.integer("--max-length", default: 128, in: 2...100_000),
                                idsOnly: session.idsOnly).input
        }
        let reference = try ModelSession(path: other, device: device, threads: threads, tf32: tf32)
        golden = GoldenFile(input: input, outputs: try reference.runner.run(input), tolerance: .standard, writer: other)
    } else {
        golden = try GoldenFile.read(path: parsed.value("--golden")!)
    }
    let tolerance = Tolerance(absolute: atol ?? golden.tolerance.absolute, relative: rtol ?? golden.tolerance.relative)
    let comparison = Comparison(golden: golden, actual: try session.runner.run(golden.input), tolerance: tolerance)
    if parsed.has("--json") {
        print(comparisonJSON(comparison, device: session.deviceName, backend: session.runner.backendName).serialized())
    } else {
        print(renderComparison(comparison, device: session.deviceName, backend: session.runner.backendName), terminator: "")
    }
    return comparison.passed ? .success : .checkFailed
}

/// Inputs for `--record`: tokenized texts or an ids file.
func recordInput(_ parsed: Arguments, session: ModelSession) throws -> EncoderInput {
    if let idsFile = parsed.value("--ids-file") {
        guard let text = try MappedFile.withContents(of: idsFile, { String(validating: $0, as: UTF8.self) }) else {
            throw TensorFormatError.invalidCompanion(path: idsFile, reason: "the ids file is not valid UTF-8")
        }
        if text.first(where: { !$0.isWhitespace }) == "{" {
            return try GoldenFile.parseInputs(try JSONParser.parse(text), path: idsFile)
        }
        var rows: [[Int32]] = []
        for line in text.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            var row: [Int32] = []
            for item in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }) {
                guard let id = Int32(item) else { throw TensorFormatError.invalidCompanion(path: idsFile, reason: "'\(item)' is not a token id") }
                row.append(id)
            }
            rows.append(row)
        }
        guard !rows.isEmpty, rows.allSatisfy({ $0.count == rows[0].count }) else {
            throw TensorFormatError.invalidCompanion(path: idsFile, reason: "give one or more sequences of the same length")
        }
        return EncoderInput(inputIDs: rows)
    }
    let texts = try collectTexts(parsed)
    guard !texts.isEmpty else { throw UsageError("--record needs --text TEXT or --ids-file F") }
    let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed))
    return encodeBatch(texts, pair: nil, tokenizer: tokenizer, maxLength: try parsed.integer("--max-length", default: 128, in: 2...100_000),
                       idsOnly: session.idsOnly).input
}

func renderComparison(_ comparison: Comparison, device: String, backend: String) -> String {
    var out = "device: \(device) (\(backend)); atol \(comparison.tolerance.absolute), rtol \(comparison.tolerance.relative)\n\n"
    out += pad("Output", 26) + pad("Max abs diff", 14, right: true) + pad("Max rel diff", 14, right: true) + pad("Argmax", 12, right: true) + "   Result\n"
    for output in comparison.outputs {
        let argmax = output.argmaxRows > 0 ? "\(output.argmaxMatches)/\(output.argmaxRows)" : "-"
        out += pad(output.name, 26) + pad(scientificText(output.maxAbsoluteDifference), 14, right: true)
            + pad(scientificText(output.maxRelativeDifference), 14, right: true) + pad(argmax, 12, right: true)
            + "   " + (output.passed ? "pass" : "FAIL") + (output.problem.map { " (\($0))" } ?? (output.failingValues > 0 ? " (\(output.failingValues) of \(output.comparedValues) values)" : "")) + "\n"
        if output.nonFiniteExpected > 0 {
            out += "  note: \(output.nonFiniteExpected) expected value(s) of \(output.name) are not finite (inf or NaN); each matches only the same value\n"
        }
    }
    out += "\n" + (comparison.passed ? "PASS: every output matches." : "FAIL: outputs differ beyond the tolerance.") + "\n"
    return out
}

func comparisonJSON(_ comparison: Comparison, device: String, backend: String) -> JSONValue {
    .object([
        ("schema", .string("bertinspect.verify/1")), ("device", .string(device)), ("backend", .string(backend)),
        ("passed", .bool(comparison.passed)),
        ("tolerance", .object([("atol", .number(comparison.tolerance.absolute)), ("rtol", .number(comparison.tolerance.relative))])),
        ("outputs", .array(comparison.outputs.map { output in
            .object([
                ("name", .string(output.name)), ("max_abs_diff", .number(output.maxAbsoluteDifference)),
                ("max_rel_diff", .number(output.maxRelativeDifference)), ("argmax_matches", .integer(Int64(output.argmaxMatches))),
                ("argmax_rows", .integer(Int64(output.argmaxRows))), ("failing_values", .integer(Int64(output.failingValues))),
                ("compared_values", .integer(Int64(output.comparedValues))), ("passed", .bool(output.passed)),
                ("problem", output.problem.map { .string($0) } ?? .null),
                ("non_finite_expected", .integer(Int64(output.nonFiniteExpected))),
            ])
        })),
    ])
}

/// `1.23e-5`
func scientificText(_ value: Double) -> String {
    if value == 0 { return "0" }
    if !value.isFinite { return "\(value)" }
    var exponent = 0
    var mantissa = abs(value)
    while mantissa >= 10 { mantissa /= 10; exponent += 1 }
    while mantissa < 1 { mantissa *= 10; exponent -= 1 }
    return "\(value < 0 ? "-" : "")\((mantissa * 100).rounded() / 100)e\(exponent)"
}
