import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

let evalCommand = Command(
    name: "eval",
    abstract: "Evaluate a classifier on a labelled file: accuracy, F1, per-class precision/recall, confusion matrix.",
    synopsis: ["PATH --input FILE [--label-column COL] [--text-column COL] [--pair-column COL] [--positive LABEL] [--threshold 0.5] [--predictions OUT.jsonl] [--json]"],
    discussion: """
    The notebook's evaluate step on a whole test set: texts and labels come from --input (CSV or TSV with a
    header row, RFC 4180 quoting, so reviews may hold commas, quotes and line breaks; JSON Lines; '-' reads
    standard input; the format from the extension or --input-format), are tokenized and run in batches of
    --batch-size (memory does not grow with the file), and each prediction is the argmax of the logits (of the
    probabilities for the notebook's softmax CNN models), or p ≥ --threshold for its one-unit sigmoid CNN
    models. Labels may be ids or id2label names. Prints what scikit-learn prints (accuracy, binary F1 of the
    positive class, macro and weighted F1, per-class precision, recall and support), the confusion matrix with
    label names, how many texts were truncated at --max-length, and throughput. With --against OTHER, OTHER runs
    on the same batches: the agreement of the predictions (count and %), the largest and mean |Δlogit|, and the
    first disagreeing examples with their texts; exit 1 when the agreement is below --min-agreement (default
    100%) or a logit moved more than --atol. This is the CI check that a converted checkpoint behaves like the
    original.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "A sequence classifier: checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        SharedOptions.input, SharedOptions.inputFormat, SharedOptions.textColumn, SharedOptions.pairColumn,
        .value("--label-column", placeholder: "COL", help: "The label column: ids or id2label names.", default: "label"),
        .value("--positive", placeholder: "LABEL", help: "The positive class for binary F1 (id or id2label name).", default: "1"),
        .value("--threshold", placeholder: "P", help: "Sigmoid models: predict positive when p ≥ P.", default: "0.5"),
        .value("--predictions", placeholder: "OUT", help: "Also write one JSON line per example (index, label, predicted, probabilities).",
               completes: .file),
        .flag("--force", help: "Overwrite --predictions OUT if it exists."),
        .value("--against", placeholder: "OTHER", help: "Also run OTHER (a converted or fine-tuned copy) and compare predictions.", completes: .file),
        .value("--min-agreement", placeholder: "PCT", help: "With --against: exit 1 when fewer predictions agree (percent).", default: "100"),
        .value("--atol", placeholder: "X", help: "With --against: exit 1 when a logit differs by more than X (default: no limit)."),
        .value("--show", placeholder: "N", help: "With --against: list the first N disagreeing examples.", default: "10", range: 0...1_000_000),
        .flag("--file-order", help: "Batch the texts in file order, each batch padded to its longest, as a typical script does (slower)."),
        SharedOptions.maxLength, SharedOptions.batchSize, SharedOptions.json,
    ] + SharedOptions.tokenizer + SharedOptions.model,
    examples: ["bertinspect eval fixtures/eval-sentiment/model --input fixtures/eval-sentiment/test.csv --text-column review --label-column label",
               "bertinspect eval converted/ --against original/tf_model.h5 --input test.csv --text-column review   # the CI check"],
    run: runEval
)

func runEval(_ parsed: ParsedArguments) throws -> ExitCode {
    let path = try parsed.single("PATH")
    guard let input = parsed.value("--input") else { throw UsageError("--input FILE is required: the labelled texts") }
    let format = parsed.value("--input-format").flatMap(TextRecordFormat.init(rawValue:)) ?? TextRecordFormat.implied(by: input)
    guard format != .text else { throw UsageError("\(input): give a CSV, TSV or JSON Lines file (or --input-format): plain text has no labels") }
    guard let threshold = Double(parsed.value("--threshold") ?? "0.5"), threshold >= 0, threshold <= 1 else {
        throw UsageError("--threshold must be a probability between 0 and 1")
    }
    let batchSize = parsed.integer("--batch-size", default: 32)
    let threads = parsed.value("--threads").map { _ in parsed.integer("--threads", default: 1) }
    let device = deviceChoice(parsed)
    let session = try ModelSession(path: path, device: device, threads: threads, tf32: try tf32Option(parsed, device: device))
    // The notebook's CNN models take padded ids only; their head ends in one sigmoid unit (two classes) or a softmax
    // over n classes, whose outputs are probabilities already.
    let idsOnly = session.idsOnly
    let cnnClasses = session.model.cnnOutputUnits.flatMap { $0 > 1 ? $0 : nil }
    let sigmoidCNN = idsOnly && cnnClasses == nil
    guard idsOnly || session.model.architecture == .sequenceClassification else {
        throw UsageError("eval needs a sequence classifier; \(session.model.architectureName) is not one (use run)")
    }
    let maxLength = try session.maxLength(parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 128) })
    let scoring = ScoreFunction(session.model.configuration)
    guard idsOnly || scoring == .softmax || (scoring == .sigmoid && session.model.configuration.numLabels == 1) else {
        throw UsageError("eval measures single-label classification; \(path) is a \(session.model.configuration.problemType ?? "") model (config.json's problem_type), whose outputs are not one class per text")
    }
    // One output unit (no problem_type) is a binary classifier through a sigmoid, as transformers' pipeline scores it.
    let sigmoid = sigmoidCNN || (!idsOnly && scoring == .sigmoid)
    let classes = sigmoid ? 2 : cnnClasses ?? (session.model.configuration.numLabels ?? 2)
    let recordedNames = session.model.configuration.id2label
    let names = (0..<classes).map { i in
        // A single sigmoid output names at most its positive class: the two classes are negative / positive.
        sigmoid && recordedNames.count < 2 ? ["negative", "positive"][i] : recordedNames[i] ?? (sigmoid ? ["negative", "positive"][i] : "LABEL_\(i)")
    }
    func labelID(_ text: String) -> Int? {
        if let id = Int(text.trimmingSpaces), id >= 0, id < classes { return id }
        return names.firstIndex(of: text)
    }
    guard let positive = labelID(parsed.value("--positive") ?? "1") else {
        throw UsageError("--positive '\(parsed.value("--positive") ?? "")' is neither a class id below \(classes) nor a label (\(names.joined(separator: ", ")))")
    }
    let records = try TextRecords(path: input, format: format, text: parsed.value("--text-column").map(TextColumn.init),
                                  pair: parsed.value("--pair-column").map(TextColumn.init),
                                  label: TextColumn(parsed.value("--label-column") ?? "label"))
    let other = try parsed.value("--against").map { try ModelSession(path: $0, device: device, threads: threads, tf32: try tf32Option(parsed, device: device)) }
    if let other, other.idsOnly != idsOnly || other.model.cnnOutputUnits != session.model.cnnOutputUnits
        || (other.model.configuration.numLabels ?? 2) != (session.model.configuration.numLabels ?? 2) {
        func outputs(_ s: ModelSession) -> String {
            if let units = s.model.cnnOutputUnits { return units == 1 ? "one sigmoid output" : "\(units) softmax outputs" }
            return s.idsOnly ? "ids-only outputs" : "\(s.model.configuration.numLabels ?? 2) logits"
        }
        throw UsageError("--against \(other.checkpoint.path) is a \(other.model.architectureName) with \(outputs(other)), not a classifier with the same outputs as \(path) (a \(session.model.architectureName) with \(outputs(session)))")
    }
    let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed), comparedWith: other)
    guard let minimumAgreement = Double(parsed.value("--min-agreement") ?? "100"), (0...100).contains(minimumAgreement) else {
        throw UsageError("--min-agreement must be a percentage between 0 and 100")
    }
    let atol = try parsed.value("--atol").map { text -> Double in
        guard let value = Double(text), value >= 0 else { throw UsageError("--atol must be a non-negative number, got '\(text)'") }
        return value
    }
    let show = parsed.integer("--show", default: 10)
    var comparison = Agreement()
    let predictions = try parsed.value("--predictions").map { try openOutput($0, overwrite: parsed.has("--force")) }
    if !parsed.has("--json") { status("device: \(session.deviceName) (\(session.runner.backendName))") }

    let progress = Progress(label: "eval", total: nil, unit: "examples")
    defer { progress.finish() }
    var metrics = ClassificationMetrics(classes: classes)
    var truncated = 0, tokens = 0, computed = 0, index = 0
    let fileOrder = parsed.has("--file-order")
    // Texts are read a window at a time and, unless --file-order, run in batches of similar length, so that little
    // padding is computed; results are still reported in input order. Memory holds one window.
    let window = fileOrder ? batchSize : batchSize * 8
    let started = monotonicSeconds()
    func decide(_ row: [Float]) -> (probabilities: [Float], predicted: Int) {
        let p = sigmoidCNN ? row[0] : sigmoid ? ScoreFunction.sigmoid.scores(row)[0] : 0
        let probabilities: [Float] = sigmoid ? [1 - p, p] : idsOnly ? row : ModelOutputs.softmax(row)
        let predicted = sigmoid ? (Double(p) >= threshold ? 1 : 0) : (probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0)
        return (probabilities, predicted)
    }
    while true {
        var batch: [TextRecord] = []
        while batch.count < window, let record = try records.next() { batch.append(record) }
        if batch.isEmpty { break }
        var labels: [Int] = []
        for record in batch {
            guard let label = labelID(record.label ?? "") else {
                throw TensorFormatError.invalidRecord(path: input, line: record.line,
                    reason: "label '\(escaped(record.label ?? "", keepingNewlines: false))' is neither a class id below \(classes) nor an id2label name (\(names.joined(separator: ", ")))")
            }
            labels.append(label)
        }
        let encodings = batch.map { tokenizer.encode($0.text, pair: $0.pair, maxLength: maxLength) }
        let lengths = encodings.map(\.inputIDs.count)
        let plan = fileOrder ? BatchPlan.inOrder(count: batch.count, batchSize: batchSize) : BatchPlan.byLength(lengths, batchSize: batchSize)
        computed += BatchPlan.computedPositions(plan, lengths: lengths, minimum: idsOnly ? maxLength : 0)
        var rows = [[Float]](repeating: [], count: batch.count)
        var otherRows = [[Float]](repeating: [], count: other == nil ? 0 : batch.count)
        for members in plan {
            let input = encoderInput(tokenizer.pad(members.map { encodings[$0] }, to: idsOnly ? maxLength : nil), idsOnly: idsOnly)
            let outputs = try session.run(input)
            let otherOutputs = try other?.run(input)
            for (j, i) in members.enumerated() {
                rows[i] = try ModelOutputs.row(outputs.logits, j)
                if let otherOutputs { otherRows[i] = try ModelOutputs.row(otherOutputs.logits, j) }
            }
            progress.advance(members.count)
        }
        for (i, encoding) in encodings.enumerated() {
            let (probabilities, predicted) = decide(rows[i])
            if other != nil {
                comparison.add(index: index, line: batch[i].line, text: batch[i].text, predicted: predicted, other: decide(otherRows[i]).predicted,
                               logits: rows[i], otherLogits: otherRows[i], keep: show)
            }
            metrics.add(label: labels[i], predicted: predicted)
            if encoding.truncated { truncated += 1 }
            tokens += encoding.inputIDs.count
            if let predictions {
                var line = JSONValue.object([
                    ("index", .integer(Int64(index))), ("line", .integer(Int64(batch[i].line))), ("label", .integer(Int64(labels[i]))),
                    ("predicted", .integer(Int64(predicted))), ("probabilities", .array(probabilities.map { .number(Double($0)) })),
                ]).serialized()
                line += "\n"
                var bytes = Array(line.utf8)
                try bytes.withUnsafeMutableBytes { try predictions.write(UnsafeRawBufferPointer($0)) }
            }
            index += 1
        }
    }
    progress.finish()
    try predictions?.commit()
    let seconds = max(monotonicSeconds() - started, 1e-9)
    guard metrics.examples > 0 else { throw TensorFormatError.invalidRecord(path: input, line: 1, reason: "no examples") }
    let result = EvalResult(metrics: metrics, names: names, positive: positive, truncated: truncated, tokens: tokens, computed: computed,
                            seconds: seconds, maxLength: maxLength, device: session.deviceName, lengthSorted: !fileOrder)
    let failed = other != nil && (comparison.percent < minimumAgreement || (atol.map { comparison.maxLogitDifference > $0 } ?? false))
    if parsed.has("--json") {
        var json = result.json(path: session.checkpoint.path, input: input)
        if let other, case var .object(members) = json {
            members.append(("against", comparison.json(other: other.checkpoint.path, names: names, minimum: minimumAgreement, atol: atol, failed: failed)))
            json = .object(members)
        }
        print(json.serialized())
    } else {
        emit(result.text() + (other.map { comparison.text(other: $0.checkpoint.path, names: names, minimum: minimumAgreement, atol: atol, failed: failed) } ?? ""), terminator: "")
    }
    return failed ? .checkFailed : .success
}

/// How two models' predictions on the same inputs agree.
struct Agreement {
    struct Disagreement {
        var index: Int
        var line: Int
        var text: String
        var predicted: Int
        var other: Int
    }
    var examples = 0
    var agreeing = 0
    var maxLogitDifference = 0.0
    var sumLogitDifference = 0.0
    var logitCount = 0
    var disagreements: [Disagreement] = []

    var percent: Double { examples > 0 ? Double(agreeing) / Double(examples) * 100 : 100 }

    mutating func add(index: Int, line: Int, text: String, predicted: Int, other: Int, logits: [Float], otherLogits: [Float], keep: Int) {
        examples += 1
        if predicted == other { agreeing += 1 } else if disagreements.count < keep {
            disagreements.append(Disagreement(index: index, line: line, text: text, predicted: predicted, other: other))
        }
        for (a, b) in zip(logits, otherLogits) {
            let d = abs(Double(a) - Double(b))
            maxLogitDifference = max(maxLogitDifference, d.isNaN ? .infinity : d)
            sumLogitDifference += d
            logitCount += 1
        }
    }

    func text(other: String, names: [String], minimum: Double, atol: Double?, failed: Bool) -> String {
        var out = "\nAgainst \(shown(other)):\n"
        out += "Agreement:     \(grouped(agreeing)) of \(grouped(examples)) (\(decimal(percent, decimals: 2))%; required \(decimal(minimum, decimals: 2))%)\n"
        out += "|Δlogit|:      max \(significant(maxLogitDifference)), mean \(significant(logitCount > 0 ? sumLogitDifference / Double(logitCount) : 0))"
            + (atol.map { " (limit \(significant($0)))" } ?? "") + "\n"
        if !disagreements.isEmpty {
            out += "Disagreements (first \(disagreements.count)):\n"
            for d in disagreements {
                out += "  [\(d.index)] line \(d.line): \(shown(names[d.predicted])) vs \(shown(names[d.other]))   \(preview(d.text))\n"
            }
        }
        out += failed ? "FAIL: the models disagree beyond the limits.\n" : "pass: the models agree within the limits.\n"
        return out
    }

    func json(other: String, names: [String], minimum: Double, atol: Double?, failed: Bool) -> JSONValue {
        .object([
            ("model", .string(other)), ("examples", .integer(Int64(examples))), ("agreeing", .integer(Int64(agreeing))),
            ("agreement_percent", .number(percent)), ("min_agreement_percent", .number(minimum)),
            ("max_abs_logit_diff", maxLogitDifference.isFinite ? .number(maxLogitDifference) : .null),
            ("mean_abs_logit_diff", .number(logitCount > 0 ? sumLogitDifference / Double(logitCount) : 0)),
            ("atol", atol.map { .number($0) } ?? .null), ("passed", .bool(!failed)),
            ("disagreements", .array(disagreements.map {
                .object([("index", .integer(Int64($0.index))), ("line", .integer(Int64($0.line))), ("text", .string($0.text)),
                         ("predicted", .string(names[$0.predicted])), ("predicted_by_other", .string(names[$0.other]))])
            })),
        ])
    }
}

/// What `eval` found, rendered as text or JSON (schema `bertinspect.eval/1`).
struct EvalResult {
    var metrics: ClassificationMetrics
    var names: [String]
    var positive: Int
    var truncated: Int
    var tokens: Int
    /// Positions the encoder computed: tokens plus padding.
    var computed: Int
    var seconds: Double
    var maxLength: Int
    var device: String
    /// Whether batches were grouped by length (else in file order).
    var lengthSorted: Bool

    var paddingFraction: Double { computed > 0 ? Double(computed - tokens) / Double(computed) : 0 }

    func text() -> String {
        let m = metrics
        var out = "Examples:      \(grouped(m.examples))\n"
        out += "Accuracy:      \(decimal(m.accuracy, decimals: 4))   (\(grouped(m.correct)) correct)\n"
        if m.classes == 2 { out += pad("F1 (\(shown(names[positive]))):", 15) + decimal(m.f1(positive), decimals: 4) + "\n" }
        out += "F1 macro:      \(decimal(m.macroF1, decimals: 4))   weighted: \(decimal(m.weightedF1, decimals: 4))\n\n"
        let width = max(10, names.map(\.count).max() ?? 0) + 2
        out += pad("class", width) + pad("precision", 11, right: true) + pad("recall", 9, right: true) + pad("f1", 9, right: true) + pad("support", 9, right: true) + "\n"
        for c in 0..<m.classes {
            out += pad(shown(names[c]), width) + pad(decimal(m.precision(c), decimals: 4), 11, right: true) + pad(decimal(m.recall(c), decimals: 4), 9, right: true)
                + pad(decimal(m.f1(c), decimals: 4), 9, right: true) + pad(String(m.support(c)), 9, right: true) + "\n"
        }
        out += "\nConfusion matrix (rows: label, columns: predicted):\n" + pad("", width)
        for c in 0..<m.classes { out += pad(shown(names[c]), max(9, names[c].count + 2), right: true) }
        out += "\n"
        for r in 0..<m.classes {
            out += pad(shown(names[r]), width)
            for c in 0..<m.classes { out += pad(String(m.confusion[r][c]), max(9, names[c].count + 2), right: true) }
            out += "\n"
        }
        out += "\nTruncated at \(maxLength) tokens: \(truncated) of \(m.examples)\n"
        out += "Padding:       \(decimal(paddingFraction * 100, decimals: 1))% of \(grouped(computed)) computed positions (batches \(lengthSorted ? "grouped by length" : "in file order"))\n"
        out += "Throughput:    \(significant(Double(m.examples) / seconds)) sequences/s, \(significant(Double(tokens) / seconds)) tokens/s on \(device)\n"
        return out
    }

    func json(path: String, input: String) -> JSONValue {
        let m = metrics
        return .object([
            ("schema", .string("bertinspect.eval/1")), ("model", .string(path)), ("input", .string(input)),
            ("examples", .integer(Int64(m.examples))), ("accuracy", .number(m.accuracy)),
            ("positive", .string(names[positive])), ("f1", m.classes == 2 ? .number(m.f1(positive)) : .null),
            ("f1_macro", .number(m.macroF1)), ("f1_weighted", .number(m.weightedF1)),
            ("precision_macro", .number(m.macroPrecision)), ("recall_macro", .number(m.macroRecall)),
            ("classes", .array((0..<m.classes).map { c in
                .object([("id", .integer(Int64(c))), ("label", .string(names[c])), ("precision", .number(m.precision(c))),
                         ("recall", .number(m.recall(c))), ("f1", .number(m.f1(c))), ("support", .integer(Int64(m.support(c))))])
            })),
            ("confusion_matrix", .array(m.confusion.map { .array($0.map { .integer(Int64($0)) }) })),
            ("truncated", .integer(Int64(truncated))), ("max_length", .integer(Int64(maxLength))),
            ("tokens", .integer(Int64(tokens))), ("computed_positions", .integer(Int64(computed))),
            ("padding_fraction", .number(paddingFraction)), ("batching", .string(lengthSorted ? "length" : "file-order")),
            ("sequences_per_second", .number(Double(m.examples) / seconds)), ("tokens_per_second", .number(Double(tokens) / seconds)),
            ("device", .string(device)),
        ])
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
