import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

let verifyCommand = Command(
    name: "verify",
    abstract: "Check a model's outputs against a golden file or another checkpoint (exit 1 on a difference).",
    synopsis: [
        "PATH --golden FILE [--atol X] [--rtol X] [--json]",
        "PATH --against OTHER (--golden FILE | --text TEXT…) [--atol X] [--rtol X] [--json]",
        "PATH --record FILE (--text TEXT… | --texts-file FILE | --ids-file FILE) [--max-length N] [--batch-size 32] [--force]",
    ],
    discussion: """
    A golden file (schema bertinspect.golden/1) holds inputs (input_ids, optional attention_mask and
    token_type_ids) and any of the outputs logits, seq_relationship_logits, pooler_output, last_hidden_state.
    Pass means |a − b| ≤ atol + rtol·|b| everywhere (hidden states only where attention_mask is 1); a non-finite
    expected value matches only the same value. --atol/--rtol override the file's tolerance, which overrides the
    defaults (1e-4). --ids-file holds one sequence of space-separated ids per line, or a JSON object with
    input_ids (and optionally the other inputs). --record streams in batches of --batch-size.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        .value("--golden", placeholder: "FILE", help: "The golden file to check against.", completes: .file),
        .value("--against", placeholder: "OTHER", help: "Another checkpoint to compare with on the same inputs.", completes: .file),
        .value("--record", placeholder: "FILE", help: "Write a golden file of this model's outputs.", completes: .file),
        SharedOptions.text, SharedOptions.textsFile, SharedOptions.input, SharedOptions.inputFormat, SharedOptions.textColumn,
        SharedOptions.pairColumn,
        .value("--ids-file", placeholder: "FILE", help: "Token ids to record, one sequence per line (or a JSON object).", completes: .file),
        .value("--atol", placeholder: "X", help: "Absolute tolerance.", default: "the file's, else 1e-4"),
        .value("--rtol", placeholder: "X", help: "Relative tolerance.", default: "the file's, else 1e-4"),
        SharedOptions.maxLength, SharedOptions.batchSize, SharedOptions.force, SharedOptions.json,
    ] + SharedOptions.tokenizer + SharedOptions.model,
    examples: ["bertinspect verify fixtures/tf-seqcls --golden fixtures/tf-seqcls/golden.json"],
    run: runVerify
)

func runVerify(_ parsed: ParsedArguments) throws -> ExitCode {
    let path = try parsed.single("PATH")
    let device = deviceChoice(parsed)
    let threads = parsed.value("--threads").map { _ in parsed.integer("--threads", default: 1) }
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
    let batchSize = parsed.integer("--batch-size", default: 32)
    if let record = parsed.value("--record") {
        let file = try openOutput(record, overwrite: parsed.has("--force"))
        let recorder = GoldenFileWriter(destination: file, tolerance: Tolerance(absolute: atol ?? 1e-4, relative: rtol ?? 1e-4),
                                        writer: "bertinspect \(toolVersion) (\(session.runner.backendName))")
        var names: [String] = []
        var length = 0
        try forEachRecordBatch(parsed, session: session, batchSize: batchSize) { input, source in
            let outputs = try session.run(input, source: source)
            try recorder.append(input: input, outputs: outputs)
            names = outputs.named.map(\.name)
            length = input.sequenceLength
        }
        try recorder.finish()
        try file.commit()
        status("recorded \(names.joined(separator: ", ")) for \(recorder.count) sequence(s) of length \(length) in \(record)")
        return .success
    }

    let golden: GoldenFile
    let goldenPath = parsed.value("--golden")
    if let other = parsed.value("--against") {
        let reference = try ModelSession(path: other, device: device, threads: threads, tf32: tf32)
        let input: EncoderInput
        if let goldenPath {
            input = try GoldenFile.read(path: goldenPath).input
        } else {
            var source = try TextSource(parsed)
            let items = try source.batch(Int.max)
            guard !items.isEmpty else { throw UsageError("--against needs --golden FILE or --text TEXT") }
            let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed), comparedWith: reference)
            let maxLength = try session.maxLength(parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 128) })
            input = encodeBatch(items, tokenizer: tokenizer, maxLength: maxLength, idsOnly: session.idsOnly).input
        }
        golden = GoldenFile(input: input, outputs: try reference.run(input, source: goldenPath), tolerance: .standard, writer: other)
    } else {
        golden = try GoldenFile.read(path: goldenPath!)
    }
    let tolerance = Tolerance(absolute: atol ?? golden.tolerance.absolute, relative: rtol ?? golden.tolerance.relative)
    let comparison = Comparison(golden: golden, actual: try session.run(golden.input, source: goldenPath), tolerance: tolerance)
    if parsed.has("--json") {
        print(comparisonJSON(comparison, device: session.deviceName, backend: session.runner.backendName).serialized())
    } else {
        emit(renderComparison(comparison, device: session.deviceName, backend: session.runner.backendName), terminator: "")
    }
    return comparison.passed ? .success : .checkFailed
}

/// Calls `body` with each batch of at most `batchSize` sequences for `--record`, and the file they came from: rows
/// of an ids file (streamed line by line; a JSON ids file is read whole within its memory budget), or tokenized
/// texts padded to the longest of all (two passes over the texts, so memory holds one batch).
func forEachRecordBatch(_ parsed: ParsedArguments, session: ModelSession, batchSize: Int,
                        _ body: (EncoderInput, String?) throws -> Void) throws {
    if let idsFile = parsed.value("--ids-file") {
        let file = try IDsFile(path: idsFile)
        while let input = try file.batch(batchSize) { try body(input, idsFile) }
        return
    }
    var source = try TextSource(parsed)
    guard !source.isEmpty else { throw UsageError("--record needs --text TEXT, --texts-file F, --input F or --ids-file F") }
    let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed))
    let maxLength = try session.maxLength(parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 128) })
    // A golden file holds sequences of one length: the longest text's, found in a first pass (or --max-length when
    // the texts come from standard input, which cannot be read twice).
    var length = maxLength
    if !TextSource.readsStandardInput(parsed) {
        length = 0
        var first = try TextSource(parsed)
        while case let items = try first.batch(batchSize), !items.isEmpty {
            length = max(length, tokenizer.encodeBatch(items.map(\.text), pairs: items.map(\.pair), maxLength: maxLength,
                                                       padTo: session.idsOnly ? maxLength : nil).first?.inputIDs.count ?? 0)
        }
    }
    while case let items = try source.batch(batchSize), !items.isEmpty {
        try body(encoderInput(tokenizer.encodeBatch(items.map(\.text), pairs: items.map(\.pair), maxLength: maxLength, padTo: length),
                              idsOnly: session.idsOnly), nil)
    }
}

func renderComparison(_ comparison: Comparison, device: String, backend: String) -> String {
    var out = "device: \(device) (\(backend)); atol \(comparison.tolerance.absolute), rtol \(comparison.tolerance.relative)\n\n"
    out += pad("Output", 26) + pad("Max abs diff", 14, right: true) + pad("Max rel diff", 14, right: true) + pad("Argmax", 12, right: true) + "   Result\n"
    for output in comparison.outputs {
        let argmax = output.argmaxRows > 0 ? "\(output.argmaxMatches)/\(output.argmaxRows)" : "-"
        // An output that could not be compared has no differences to show: "-", and the reason after the verdict.
        let compared = output.problem == nil
        out += pad(output.name, 26) + pad(compared ? significant(output.maxAbsoluteDifference) : "-", 14, right: true)
            + pad(compared ? significant(output.maxRelativeDifference) : "-", 14, right: true) + pad(compared ? argmax : "-", 12, right: true)
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
                ("name", .string(output.name)),
                ("max_abs_diff", output.problem == nil ? .number(output.maxAbsoluteDifference) : .null),
                ("max_rel_diff", output.problem == nil ? .number(output.maxRelativeDifference) : .null), ("argmax_matches", .integer(Int64(output.argmaxMatches))),
                ("argmax_rows", .integer(Int64(output.argmaxRows))), ("failing_values", .integer(Int64(output.failingValues))),
                ("compared_values", .integer(Int64(output.comparedValues))), ("passed", .bool(output.passed)),
                ("problem", output.problem.map { .string($0) } ?? .null),
                ("non_finite_expected", .integer(Int64(output.nonFiniteExpected))),
            ])
        })),
    ])
}

