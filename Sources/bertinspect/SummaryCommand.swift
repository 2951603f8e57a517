import BERTGraph
import TensorFormats

let summaryCommand = Command(
    name: "summary",
    abstract: "Show what a checkpoint holds: layout, config, layers, parameter counts, problems.",
    discussion: """
    PATH is an HDF5 file (HF tf_model.h5, Keras save_weights or model.save, Keras 3 .weights.h5), a safetensors
    file, a PyTorch pytorch_model.bin / .pt state dict (read without executing its pickle), a TensorFlow checkpoint
    (its prefix or .index file), a shard index (*.index.json) or a model folder; several PATHs give one summary each
    (JSON Lines with --json). Only metadata is read. Trainable counts are shown only where the file records them (a Keras full-model
    save, or bertinspect freeze): other formats show '?'.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...Int.max)],
    options: [
        .flag("--json", help: "Print one JSON object per PATH (schema bertinspect.summary/1)."),
        .flag("--tensors", help: "Also list every stored tensor: stored name, canonical name, dtype, shape, bytes."),
        .value("--depth", placeholder: "N", help: "Depth of the layer tree (3 or more unfolds encoder layers).", default: "2", range: 1...16),
    ],
    examples: ["bertinspect summary fixtures/tf-seqcls/tf_model.h5", "bertinspect summary --json fixtures/*/ | jq .parameters"],
    run: runSummary
)

func runSummary(_ parsed: ParsedArguments) throws -> ExitCode {
    let depth = parsed.integer("--depth", default: 2)
    // One summary per PATH, as `ls` lists several files: a PATH that cannot be read gets its one error line and the
    // others are still summarised; the exit code is the first failure's.
    let several = parsed.positionals.count > 1
    var failure: Error?
    for (index, path) in parsed.positionals.enumerated() {
        do {
            let checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
            let model = try ModelLoader.load(checkpoint)
            let summary = ModelSummary(model: model, checkpoint: checkpoint, listingTensors: parsed.has("--tensors"))
            if parsed.has("--json") {
                print(summary.json(includeTensors: parsed.has("--tensors")).serialized())
            } else {
                emit((index > 0 ? "\n" : "") + renderSummary(summary, depth: depth, tensors: parsed.has("--tensors")), terminator: "")
            }
            if index == parsed.positionals.count - 1 { keepUntilExit((checkpoint, model, summary)) }
        } catch {
            guard several else { throw error }
            printErrorLine("bertinspect summary: \(error)")
            if failure == nil { failure = error }
        }
    }
    if let failure { throw SummaryFailed(first: failure) }
    return .success
}

/// Some PATHs of a multi-PATH summary failed; each has had its error line already.
struct SummaryFailed: Error, CustomStringConvertible {
    var first: Error
    var description: String { "some checkpoints could not be summarised (first: \(first))" }
}

/// The text form of a summary: header, Keras-style layer table, totals, warnings.
func renderSummary(_ summary: ModelSummary, depth: Int, tensors: Bool) -> String {
    var out = ""
    out += "File:          \(shown(summary.weightsFile)) (\(humanSize(summary.fileSize)))\n"
    out += "Format:        \(summary.format), \(summary.layout), \(summary.naming)\n"
    for (label, value) in summary.graph {
        out += label + ":" + String(repeating: " ", count: max(1, 14 - label.count)) + shown(value) + "\n"
    }
    var architecture = summary.architectureName
    if let labels = summary.configuration.numLabels {
        let names = (0..<labels).compactMap { summary.configuration.id2label[$0].map(shown) }
        architecture += " (\(labels) label\(labels == 1 ? "" : "s")\(names.count == labels ? ": " + names.joined(separator: ", ") : ""))"
    }
    out += "Architecture:  \(architecture)\n"
    if summary.hasEncoder {
        let c = summary.configuration
        func field(_ name: String, _ value: String) -> String {
            "\(name) \(value)" + (c.sources[name].map { " (\($0.rawValue))" } ?? "")
        }
        let fields = BERTConfiguration.fieldNames.compactMap { name -> String? in
            switch name {
            case "layer_norm_eps": return field(name, "\(c.layerNormEps)")
            case "hidden_act": return field(name, c.hiddenAct)
            default: return c.integer(name).map { field(name, grouped($0)) }
            }
        }
        out += "Config:        " + Array(fields.prefix(4)).joined(separator: ", ") + "\n"
        out += "               " + Array(fields.dropFirst(4)).joined(separator: ", ") + "\n"
    }
    if !summary.frozen.isEmpty { out += "Frozen:        " + summary.frozen.map(shown).joined(separator: ", ") + "\n" }
    out += "\n"

    struct Row { var layer, dims, count, trainable: String }
    var rows: [Row] = []
    func yesNo(_ node: SummaryNode) -> String {
        if node.parameters == 0 { return "-" }
        if node.trainableParameters == nil { return "?" }
        return node.trainable.map { $0 ? "yes" : "no" } ?? "partly"
    }
    func visit(_ node: SummaryNode, level: Int) {
        let indent = String(repeating: "  ", count: level)
        rows.append(Row(layer: indent + "\(shown(node.name)) (\(shown(node.type)))", dims: node.dims ?? "", count: grouped(node.parameters), trainable: yesNo(node)))
        let layers = node.children.filter { $0.name.hasPrefix("layer.") }
        guard level + 1 < depth else {
            // Encoder layers are folded into one line until --depth reaches them.
            if let first = layers.first, let last = layers.last {
                let label = "\(first.name)–\(last.name.dropFirst("layer.".count)) (\(layers.count) × \(first.type))"
                let uniform = layers.allSatisfy { $0.parameters == first.parameters }
                let trainable = Set(layers.map(yesNo)).count == 1 ? yesNo(first) : "partly"
                let count = uniform ? "\(layers.count) × \(grouped(first.parameters))" : grouped(node.parameters)
                rows.append(Row(layer: indent + "  " + label, dims: "", count: count, trainable: trainable))
            }
            return
        }
        for child in node.children { visit(child, level: level + 1) }
    }
    for layer in summary.layers { visit(layer, level: 0) }

    let headers = ("Layer (type)", "Shape / dims", "Param #", "Trainable")
    let w0 = max(headers.0.count, rows.map(\.layer.count).max() ?? 0) + 2
    let w1 = max(headers.1.count, rows.map(\.dims.count).max() ?? 0) + 2
    let w2 = max(headers.2.count, rows.map(\.count.count).max() ?? 0)
    let rule = String(repeating: "─", count: w0 + w1 + w2 + 12) + "\n"
    out += pad(headers.0, w0) + pad(headers.1, w1) + pad(headers.2, w2, right: true) + "   " + headers.3 + "\n"
    out += rule
    for row in rows {
        out += pad(row.layer, w0) + pad(row.dims, w1) + pad(row.count, w2, right: true) + "   " + row.trainable + "\n"
    }
    out += rule
    out += "Total params: \(grouped(summary.total)) (\(humanSize(summary.parameterBytes)))\n"
    if let trainable = summary.trainable, let nonTrainable = summary.nonTrainable, let trainableBytes = summary.trainableBytes {
        out += "Trainable params: \(grouped(trainable)) (\(humanSize(trainableBytes)))\n"
        out += "Non-trainable params: \(grouped(nonTrainable)) (\(humanSize(summary.parameterBytes - trainableBytes)))\n"
    } else {
        out += "Trainable params: ? (not recorded in this format; bertinspect freeze records it)\n"
        out += "Non-trainable params: ?\n"
    }
    let dtypeText = summary.dtypes.map { "\($0.dtype.rawValue) \(grouped($0.parameters))" }
    if summary.tiedValues > 0 {
        out += "Tied: + \(grouped(summary.tiedValues)) values stored again as \(summary.tiedNames.prefix(2).map(shown).joined(separator: ", "))\(summary.tiedNames.count > 2 ? " and \(summary.tiedNames.count - 2) more" : ""), counted once\n"
    }
    out += "Stored: \(dtypeText.joined(separator: ", ")) params; \(humanSize(summary.bytes)) of tensor data in \(summary.tensorCount) tensors\n"

    if tensors {
        out += "\nTensors:\n"
        let n0 = summary.tensors.map(\.storedName.count).max() ?? 0
        let n1 = summary.tensors.map(\.canonicalName.count).max() ?? 0
        for row in summary.tensors {
            out += "  " + pad(shown(row.storedName), n0 + 2) + pad(shown(row.canonicalName), n1 + 2) + pad(row.dtype.rawValue, 6)
                + pad(shapeText(row.shape), 14) + pad(grouped(row.bytes), 12, right: true) + "\n"
        }
    }
    if !summary.warnings.isEmpty {
        out += "\nWarnings:\n"
        for warning in summary.warnings { out += "  - \(shown(warning))\n" }
    }
    return out
}
