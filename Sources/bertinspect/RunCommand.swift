import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

let runCommand = Command(
    name: "run",
    abstract: "Run the model on text: logits, probabilities and labels (the notebook's predict step).",
    synopsis: ["PATH (--text TEXT… | --texts-file FILE | --input FILE [--text-column COL] [--pair-column COL]) [--pair TEXT] [--max-length N] [--batch-size 32] [--output NAME] [--json]"],
    discussion: """
    Tokenizes like transformers' BertTokenizer (vocab.txt and do_lower_case from the model folder, or --vocab),
    runs the encoder in batches of --batch-size texts (results are printed as each batch finishes, so memory does
    not grow with the number of texts) and prints, per text, the logits, softmax probabilities and the label from
    id2label. A bare BertModel prints its pooler output (or --output); the notebook's Keras CNN models print their
    sigmoid output (one unit) or softmax probabilities and label (more); with a head, --output adds that encoder output (last_hidden_state, pooler_output or
    mean_pooled) to each result. The device line goes to stderr.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder (then more texts may follow).", count: 1...Int.max)],
    options: [
        SharedOptions.text, SharedOptions.textsFile,
        SharedOptions.input, SharedOptions.inputFormat, SharedOptions.textColumn, SharedOptions.pairColumn,
        .value("--pair", placeholder: "TEXT", help: "A second text for every text ([CLS] a [SEP] b [SEP])."),
        SharedOptions.maxLength, SharedOptions.batchSize,
        .value("--output", placeholder: "NAME", help: "Encoder output to print: a bare BertModel's result (default pooler_output); with a head, printed as well.",
               choices: ["last_hidden_state", "pooler_output", "mean_pooled"]),
        SharedOptions.json,
    ] + SharedOptions.tokenizer + SharedOptions.model,
    examples: ["bertinspect run fixtures/tf-seqcls --text \"I thought this was a wonderful way to spend time\"",
               "bertinspect run fixtures/tf-seqcls --texts-file reviews.txt --json > predictions.json"],
    run: runRun
)

func runRun(_ parsed: ParsedArguments) throws -> ExitCode {
    guard let path = parsed.positionals.first else { throw UsageError("missing PATH") }
    var texts = try TextSource(parsed)
    guard !texts.isEmpty else { throw UsageError("give at least one --text, --texts-file or --input") }
    let requestedLength = parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 128) }
    let batchSize = parsed.integer("--batch-size", default: 32)
    let output = parsed.value("--output")
    if let output, !["last_hidden_state", "pooler_output", "mean_pooled"].contains(output) {
        throw UsageError("--output must be last_hidden_state, pooler_output or mean_pooled")
    }
    let threads = parsed.value("--threads").map { _ in parsed.integer("--threads", default: 1) }
    let device = deviceChoice(parsed)
    let session = try ModelSession(path: path, device: device, threads: threads, tf32: try tf32Option(parsed, device: device))
    if let output {
        // Checked before anything runs: an encoder output the model cannot give is a request that does not fit it.
        guard session.model.architecture.hasEncoder else {
            throw UsageError("--output \(output): this model (\(session.model.architectureName)) has no BERT encoder, only its own output")
        }
        guard output != "pooler_output" || session.model.hasPooler else {
            throw UsageError("--output pooler_output: this model has no pooler; use mean_pooled or last_hidden_state")
        }
    }
    let maxLength = try session.maxLength(requestedLength)
    let tokenizer = try session.tokenizer(vocab: parsed.value("--vocab"), lowerCase: try lowerCaseOption(parsed))
    let json = parsed.has("--json")
    let labels = session.model.configuration.id2label

    // Texts go through in batches of --batch-size and each batch's results are written as soon as they exist, so
    // memory does not grow with the number of texts. The JSON form is still one object, streamed.
    if json {
        let head = JSONValue.object([
            ("schema", .string("bertinspect.run/1")), ("architecture", .string(session.model.architectureName)),
            ("device", .string(session.deviceName)), ("backend", .string(session.runner.backendName)),
        ]).serialized()
        print(head.dropLast() + ",\"results\":[", terminator: "")
    } else {
        status("device: \(session.deviceName) (\(session.runner.backendName))")
    }
    var number = 0
    while true {
        let batch = try texts.batch(batchSize)
        if batch.isEmpty { break }
        let (input, encodings) = encodeBatch(batch, tokenizer: tokenizer, maxLength: maxLength, idsOnly: session.idsOnly)
        let outputs = try session.run(input)
        for (i, encoding) in encodings.enumerated() {
            let (members, text): ([(String, JSONValue)], String)
            do {
                (members, text) = try describe(row: i, text: batch[i].text, encoding: encoding, outputs: outputs, input: input,
                                               session: session, labels: labels, output: output)
            } catch let error as RuntimeError {
                throw error.naming(session.checkpoint.weightsPath)
            }
            if json {
                print((number > 0 ? "," : "") + JSONValue.object(members).serialized(), terminator: "")
            } else {
                emit("[\(number + 1)] \(preview(batch[i].text))\n" + text, terminator: "")
            }
            number += 1
        }
    }
    if json { print("]}") }
    return .success
}

/// One text's result: its JSON members and its text lines.
func describe(row i: Int, text: String, encoding: Encoding, outputs: ModelOutputs, input: EncoderInput, session: ModelSession,
              labels: [Int: String], output: String?) throws -> ([(String, JSONValue)], String) {
    var members: [(String, JSONValue)] = [("text", .string(text)), ("tokens", .array(encoding.tokens.map { .string($0) }))]
    var lines = ""
    switch session.model.architecture {
    case .sequenceClassification, .bertCNN, .kerasCNN:
        let row = try ModelOutputs.row(outputs.logits, i)
        if session.idsOnly && row.count == 1 {
            members.append(("score", .number(Double(row[0]))))
            lines += "    sigmoid output \(fixed(row[0])) → \(row[0] >= 0.5 ? "positive (≥ 0.5)" : "negative (< 0.5)")\n"
        } else if session.idsOnly {
            // The notebook's CNN head for n > 2 classes ends in a softmax: its outputs are the probabilities.
            let best = row.indices.max { row[$0] < row[$1] } ?? 0
            let label = labels[best] ?? "LABEL_\(best)"
            members += [("probabilities", floats(row)), ("label", .string(label))]
            lines += "    label \(shown(label)) (p = \(fixed(row[best])))   softmax output \(list(row))\n"
        } else {
            // Scores as transformers' text-classification pipeline gives them (see ScoreFunction): a softmax, a
            // sigmoid per label for multi-label models and single outputs, the raw value for regression.
            let function = ScoreFunction(session.model.configuration)
            let scores = function.scores(row)
            let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            let label = labels[best] ?? "LABEL_\(best)"
            switch function {
            case .softmax:
                members += [("logits", floats(row)), ("probabilities", floats(scores)), ("label", .string(label))]
                lines += "    label \(shown(label)) (p = \(fixed(scores[best])))   logits \(list(row))   probabilities \(list(scores))\n"
            case .sigmoid:
                let chosen = scores.indices.filter { scores[$0] >= 0.5 }.map { labels[$0] ?? "LABEL_\($0)" }
                members += [("logits", floats(row)), ("probabilities", floats(scores)), ("label", .string(label)),
                            ("labels", .array(chosen.map { .string($0) }))]
                lines += "    label \(shown(label)) (p = \(fixed(scores[best])))   logits \(list(row))   sigmoid probabilities \(list(scores))"
                    + (row.count > 1 ? "   labels with p ≥ 0.5: \(chosen.isEmpty ? "none" : chosen.map(shown).joined(separator: ", "))" : "") + "\n"
            case .none:
                members += [("logits", floats(row)), ("score", row.first.map { .number(Double($0)) } ?? .null)]
                lines += "    score \(list(row)) (regression: the raw output)\n"
            }
        }
    case .tokenClassification:
        guard let logits = outputs.logits else { throw RuntimeError.unsupported(reason: "the model produced no logits").naming(session.checkpoint.weightsPath) }
        let width = logits.shape.last ?? 1, length = logits.shape.count > 1 ? logits.shape[1] : 1
        var tagged: [(token: String, label: String)] = []
        for (position, token) in encoding.tokens.enumerated() where position < length && encoding.attentionMask[position] == 1 {
            let start = (i * length + position) * width
            let scores = Array(logits.values[start..<(start + width)])
            let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            tagged.append((token, labels[best] ?? "LABEL_\(best)"))
        }
        // One token per line, labels in a column (a tab would be escaped as `\t` like any control character).
        let column = (tagged.map { shown($0.token).count }.max() ?? 0) + 2
        for (token, label) in tagged { lines += "    " + pad(shown(token), column) + shown(label) + "\n" }
        members.append(("labels", .array(tagged.map { .object([("token", .string($0.token)), ("label", .string($0.label))]) })))
    case .preTraining:
        let probabilities = ModelOutputs.softmax(try ModelOutputs.row(outputs.seqRelationshipLogits, i))
        members.append(("is_next_probability", .number(Double(probabilities[0]))))
        lines += "    next sentence: p(is next) = \(fixed(probabilities[0]))\n"
    case .bertModel, .maskedLM:
        break
    }
    // A bare encoder prints its pooled output (pooler_output unless --output says otherwise); a model with a head
    // prints the encoder output --output names as well, as transformers gives hidden states on request.
    let encoderOutput = session.model.architecture == .bertModel || session.model.architecture == .maskedLM ? output ?? "pooler_output" : output
    if let name = encoderOutput {
        let vector = try outputs.pooled(PooledOutput(rawValue: name) ?? .poolerOutput, row: i, mask: input.attentionMask[i])
        members.append((name, floats(vector)))
        let width = outputs.lastHiddenState?.shape.last ?? vector.count
        let shape = name == "last_hidden_state" ? "[\(vector.count / max(width, 1)), \(width)]" : "[\(vector.count)]"
        lines += "    \(name) \(shape): \(list(Array(vector.prefix(8))))\(vector.count > 8 ? " …" : "")\n"
    }
    return (members, lines)
}

func fixed(_ value: Float) -> String {
    let rounded = (Double(value) * 10_000).rounded() / 10_000
    return String(rounded)
}

func list(_ values: [Float]) -> String { "[" + values.map(fixed).joined(separator: ", ") + "]" }

func floats(_ values: [Float]) -> JSONValue { .array(values.map { .number(Double($0)) }) }

#if canImport(Glibc)
import Glibc
#endif
