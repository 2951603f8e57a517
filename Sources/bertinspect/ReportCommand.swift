import BERTGraph
import TensorFormats
#if canImport(Glibc)
import Glibc
#endif

let reportCommand = Command(
    name: "report",
    abstract: "Write one self-contained HTML report of a model (and of its diff with B): diagram, weights, changes.",
    discussion: """
    One HTML file with inline SVG and CSS, no JavaScript and no network: the model as a vertical diagram (each block
    barred by its parameter count and shaded trainable, frozen or unknown), the configuration with where each value
    came from, Keras-style totals and every warning; per tensor the statistics of `stats` with a histogram and the
    findings; with B, the per-layer relative change as a bar chart on a log axis, a heatmap of change by layer and
    tensor kind (q, k, v, attention output, FFN in, FFN out, LayerNorm) and the frozen verdict. Light and dark mode,
    printable; every chart has a text alternative and a table beside it.
    """,
    arguments: [
        ArgumentSpec(name: "PATH", help: "The checkpoint (A).", count: 1...1),
        ArgumentSpec(name: "B", help: "A second checkpoint to compare with (optional).", count: 0...1),
    ],
    options: [
        .value("--output", "-o", placeholder: "OUT", help: "The HTML file to write.", completes: .file),
        .flag("--force", help: "Overwrite OUT if it exists."),
        .value("--frozen", placeholder: "SPEC", help: "The layers frozen in A, for the frozen verdict when A records none."),
    ],
    examples: ["bertinspect report fixtures/tf-seqcls -o report.html",
               "bertinspect report before/ after/ --frozen bert -o diff.html"],
    run: runReport
)

func runReport(_ parsed: ParsedArguments) throws -> ExitCode {
    guard let output = parsed.value("--output") else { throw UsageError("-o OUT is required: the HTML file to write") }
    guard (1...2).contains(parsed.positionals.count) else { throw UsageError("expected PATH and at most one B") }
    let a = try Checkpoint.open(parsed.positionals[0], formats: checkpointFormats)
    let modelA = try ModelLoader.load(a)
    let statistics = try WeightStatistics(model: modelA, store: a.store)
    var comparison: (b: Checkpoint, diff: CheckpointDiff)?
    if parsed.positionals.count == 2 {
        let b = try Checkpoint.open(parsed.positionals[1], formats: checkpointFormats)
        let frozen = try parsed.value("--frozen").map { try LayerSpec.resolve($0, model: modelA) }
        comparison = (b, try CheckpointDiff(a: modelA, storeA: a.store, b: ModelLoader.load(b), storeB: b.store, atol: 0, frozen: frozen))
    }
    let html = ReportPage(
        summary: ModelSummary(model: modelA, checkpoint: a), blocks: ModelBlock.blocks(of: modelA), statistics: statistics,
        comparison: comparison.map { ($0.b.path, $0.diff) }
    ).html()
    let file = try openOutput(output, overwrite: parsed.has("--force"))
    var bytes = Array(html.utf8)
    try bytes.withUnsafeMutableBytes { try file.write(UnsafeRawBufferPointer($0)) }
    try file.commit()
    bytes.removeAll()
    status("wrote \(shown(output)) (\(humanSize(html.utf8.count)))")
    return .success
}

/// Text made safe for HTML element content and attribute values.
func escapedHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            if character.value < 0x20 && character != "\n" && character != "\t" { out += "&#\(character.value);" } else { out.unicodeScalars.append(character) }
        }
    }
    return out
}

/// The report as one HTML document.
struct ReportPage {
    var summary: ModelSummary
    var blocks: [ModelBlock]
    var statistics: WeightStatistics
    var comparison: (path: String, diff: CheckpointDiff)?

    static let style = """
    :root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
      --trainable: #0969da; --frozen: #8c959f; --partial: #bf8700; --unknown: #c2a5f5; --bar: #0969da; --warn: #9a6700; --bad: #cf222e; --good: #1a7f37; }
    @media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23;
      --trainable: #4493f8; --frozen: #6e7681; --partial: #d29922; --unknown: #8957e5; --bar: #4493f8; --warn: #d29922; --bad: #f85149; --good: #3fb950; } }
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 1100px; padding: 24px; background: var(--bg); color: var(--fg);
      font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
    h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
    .muted { color: var(--muted); } code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
    table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
    th { background: var(--panel); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } td.mono { white-space: nowrap; }
    .facts td:first-child { width: 160px; color: var(--muted); }
    .warnings li { color: var(--warn); } .findings li { color: var(--bad); } .ok { color: var(--good); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
    svg text { fill: var(--fg); font-size: 12px; } svg .sub { fill: var(--muted); font-size: 11px; }
    .legend span { display: inline-block; margin-right: 14px; } .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 4px; border-radius: 2px; }
    nav a { margin-right: 12px; color: var(--trainable); }
    @media print { body { max-width: none; padding: 0; } nav { display: none; } h2 { break-after: avoid; } tr, svg { break-inside: avoid; } }
    """

    func html() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>bertinspect report: \(escapedHTML(FilePath.fileName(of: summary.path)))</title>\n<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
        out += "<header><h1>\(escapedHTML(summary.architectureName)) <span class=\"muted\">\(escapedHTML(summary.path))</span></h1>"
        out += "<p class=\"muted\">Written by bertinspect \(toolVersion)\(comparison.map { " · compared with " + escapedHTML($0.path) } ?? "").</p></header>\n"
        out += "<nav><a href=\"#model\">Model</a>\(comparison == nil ? "" : "<a href=\"#diff\">Diff</a>")<a href=\"#weights\">Weights</a></nav>\n"
        // With B the changes come first after the model: they are what the reader came for.
        out += modelSection()
        if let comparison { out += diffSection(comparison.diff, path: comparison.path) }
        out += weightsSection()
        out += "</body>\n</html>\n"
        return out
    }

    // MARK: Model

    func modelSection() -> String {
        var out = "<section id=\"model\">\n<h2>Model</h2>\n<table class=\"facts\">\n"
        func fact(_ name: String, _ value: String) { out += "<tr><td>\(name)</td><td>\(value)</td></tr>\n" }
        fact("File", "<code>\(escapedHTML(summary.weightsFile))</code> (\(humanSize(summary.fileSize)))")
        fact("Format", escapedHTML("\(summary.format), \(summary.layout), \(summary.naming)"))
        fact("Architecture", escapedHTML(summary.architectureName))
        fact("Total params", "\(grouped(summary.total)) (\(humanSize(summary.parameterBytes)))")
        fact("Trainable params", summary.trainable.map { "\(grouped($0))" + (summary.trainableBytes.map { " (\(humanSize($0)))" } ?? "") } ?? "? (not recorded in this format)")
        fact("Non-trainable params", summary.nonTrainable.map(grouped) ?? "?")
        if !summary.frozen.isEmpty { fact("Frozen", escapedHTML(summary.frozen.joined(separator: ", "))) }
        out += "</table>\n"
        out += diagram()
        if summary.hasEncoder {
            out += "<h3>Configuration</h3>\n<table>\n<tr><th>field</th><th class=\"num\">value</th><th>source</th></tr>\n"
            let c = summary.configuration
            for name in BERTConfiguration.fieldNames {
                let value: String? = name == "layer_norm_eps" ? "\(c.layerNormEps)" : name == "hidden_act" ? c.hiddenAct : c.integer(name).map(grouped)
                guard let value else { continue }
                out += "<tr><td><code>\(name)</code></td><td class=\"num\">\(escapedHTML(value))</td><td class=\"muted\">\(c.sources[name]?.rawValue ?? "")</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !summary.warnings.isEmpty {
            out += "<h3>Warnings</h3>\n<ul class=\"warnings\">\n" + summary.warnings.map { "<li>\(escapedHTML($0))</li>\n" }.joined() + "</ul>\n"
        }
        return out + "</section>\n"
    }

    /// The blocks top to bottom, each a box with a bar for its share of the largest block's parameters. Consecutive
    /// Conv1D layers (the notebook's CNN head: parallel convolutions of widths 2, 3, 4 over BERT's output, pooled and
    /// concatenated) share one row, side by side, as the branches they are.
    func diagram() -> String {
        let width = 760, rowHeight = 40, gap = 14
        var rows: [[ModelBlock]] = []
        for block in blocks {
            if block.className == "Conv1D", let last = rows.last, last.allSatisfy({ $0.className == "Conv1D" }) {
                rows[rows.count - 1].append(block)
            } else {
                rows.append([block])
            }
        }
        let height = rows.count * (rowHeight + gap) + 10
        let largest = max(1, blocks.map(\.parameters).max() ?? 1)
        var out = "<div class=\"legend muted\"><span><i class=\"swatch\" style=\"background:var(--trainable)\"></i>trainable</span>"
            + "<span><i class=\"swatch\" style=\"background:var(--frozen)\"></i>frozen</span>"
            + "<span><i class=\"swatch\" style=\"background:var(--partial)\"></i>partly frozen</span>"
            + "<span><i class=\"swatch\" style=\"background:var(--unknown)\"></i>not recorded</span></div>\n"
        out += "<svg class=\"model-diagram\" role=\"img\" aria-labelledby=\"model-title model-desc\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" style=\"max-width:\(width)px\">\n"
        out += "<title id=\"model-title\">Model diagram of \(escapedHTML(summary.architectureName))</title>\n"
        out += "<desc id=\"model-desc\">\(escapedHTML(rows.map { row in row.map { "\($0.name) (\($0.className)): \($0.parameters) parameters" }.joined(separator: " | ") }.joined(separator: "; then ")))</desc>\n"
        for (r, row) in rows.enumerated() {
            let y = 5 + r * (rowHeight + gap)
            let boxWidth = (width - 1 - 8 * (row.count - 1)) / row.count
            for (c, block) in row.enumerated() {
                let x = c * (boxWidth + 8)
                let barLeft = row.count == 1 ? 300 : x + boxWidth / 2
                let barWidth = row.count == 1 ? 380 : boxWidth / 2 - 50
                let state = block.parameters == 0 ? "none" : block.trainableParameters.map { $0 == block.parameters ? "trainable" : $0 == 0 ? "frozen" : "partial" } ?? "unknown"
                let fill = ["trainable": "var(--trainable)", "frozen": "var(--frozen)", "partial": "var(--partial)", "unknown": "var(--unknown)", "none": "var(--line)"][state]!
                let bar = block.parameters == 0 ? 0 : max(2, Int(Double(barWidth) * Double(block.parameters) / Double(largest)))
                let shape = block.shapes.first.map(shapeText) ?? ""
                out += "<g class=\"block\" data-kind=\"\(block.kind.rawValue)\" data-name=\"\(escapedHTML(block.name))\" data-state=\"\(state)\">"
                out += "<title>\(escapedHTML("\(block.name) (\(block.className)): \(grouped(block.parameters)) parameters, \(state)"))</title>"
                out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(boxWidth)\" height=\"\(rowHeight)\" rx=\"6\" fill=\"var(--panel)\" stroke=\"var(--line)\"/>"
                out += "<text x=\"\(x + 12)\" y=\"\(y + 17)\">\(escapedHTML(block.name))</text>"
                out += "<text class=\"sub\" x=\"\(x + 12)\" y=\"\(y + 32)\">\(escapedHTML(block.className))\(block.dtype.map { " · " + $0 } ?? "")\(shape.isEmpty || row.count > 1 ? "" : " · " + escapedHTML(shape))</text>"
                out += "<rect x=\"\(barLeft)\" y=\"\(y + 10)\" width=\"\(bar)\" height=\"\(rowHeight - 20)\" rx=\"3\" fill=\"\(fill)\"/>"
                out += "<text class=\"sub\" x=\"\(barLeft + bar + 6)\" y=\"\(y + 25)\">\(grouped(block.parameters))</text></g>\n"
            }
            if r + 1 < rows.count {
                // One arrow into or out of each branch.
                let count = max(row.count, rows[r + 1].count)
                for c in 0..<count {
                    let x = rows[r + 1].count > 1 || row.count > 1 ? (width / count) * c + 60 : 150
                    out += "<line x1=\"\(x)\" y1=\"\(y + rowHeight)\" x2=\"\(x)\" y2=\"\(y + rowHeight + gap)\" stroke=\"var(--muted)\" stroke-width=\"1.5\"/>\n"
                }
            }
        }
        return out + "</svg>\n"
    }

    // MARK: Weights

    func histogram(_ tensor: WeightStatistics.Tensor) -> String {
        let top = max(1, tensor.histogram.max() ?? 1)
        var out = "<svg class=\"histogram\" width=\"96\" height=\"24\" viewBox=\"0 0 96 24\" role=\"img\" aria-label=\"\(escapedHTML("histogram of \(tensor.name) from \(significant(tensor.min)) to \(significant(tensor.max)): \(tensor.histogram.map(String.init).joined(separator: " "))"))\">"
        for (i, count) in tensor.histogram.enumerated() where count > 0 {
            let h = max(1, Int((Double(count) / Double(top) * 22).rounded()))
            out += "<rect x=\"\(i * 6)\" y=\"\(24 - h)\" width=\"5\" height=\"\(h)\" fill=\"var(--bar)\"/>"
        }
        return out + "</svg>"
    }

    func weightsSection() -> String {
        var out = "<section id=\"weights\">\n<h2>Weights</h2>\n"
        if statistics.findings.isEmpty {
            out += "<p class=\"ok\">No findings: no fresh head, no all-zero or constant tensor, no NaN or Inf, no outlier scale.</p>\n"
        } else {
            out += "<ul class=\"findings\">\n" + statistics.findings.map { "<li>\(escapedHTML($0.message))</li>\n" }.joined() + "</ul>\n"
        }
        out += "<table>\n<tr><th>tensor</th><th>shape</th><th>dtype</th><th class=\"num\">mean</th><th class=\"num\">std</th><th class=\"num\">min</th><th class=\"num\">max</th><th class=\"num\">zeros</th><th class=\"num\">NaN/Inf</th><th>histogram</th></tr>\n"
        for t in statistics.tensors {
            let zeros = t.count > 0 ? Double(t.zeros) / Double(t.count) * 100 : 0
            out += "<tr><td><code>\(escapedHTML(t.name))</code></td><td class=\"mono\">\(shapeText(t.shape))</td><td>\(t.dtype.shortName)</td>"
            out += "<td class=\"num\">\(significant(t.mean))</td><td class=\"num\">\(significant(t.std))</td><td class=\"num\">\(significant(t.min))</td><td class=\"num\">\(significant(t.max))</td>"
            out += "<td class=\"num\">\(decimal(zeros, decimals: 1))%</td><td class=\"num\">\(t.nans)/\(t.infinities)</td><td>\(histogram(t))</td></tr>\n"
        }
        return out + "</table>\n</section>\n"
    }

    // MARK: Diff

    /// The heatmap's columns: tensor kinds of an encoder layer, by the module path inside the layer.
    static let heatmapColumns: [(label: String, prefix: String)] = [
        ("q", "attention.self.query."), ("k", "attention.self.key."), ("v", "attention.self.value."),
        ("attn-out", "attention.output.dense."), ("ffn-in", "intermediate.dense."), ("ffn-out", "output.dense."), ("LN", "LayerNorm."),
    ]

    func diffSection(_ diff: CheckpointDiff, path: String) -> String {
        var out = "<section id=\"diff\">\n<h2>Diff</h2>\n<p>B: <code>\(escapedHTML(path))</code>. Relative change ‖B − A‖ / ‖A‖ per layer.</p>\n"
        if let check = diff.frozenCheck {
            if check.holds {
                out += "<p class=\"ok\">Frozen check: \(escapedHTML(check.prefixes.isEmpty ? "nothing is frozen in A" : "\(check.prefixes.joined(separator: ", ")) (\(grouped(check.parameters)) parameters) unchanged, as frozen")).</p>\n"
            } else {
                out += "<p class=\"fail\">Frozen check failed: \(escapedHTML(check.prefixes.joined(separator: ", "))) frozen in A, but \(escapedHTML(check.changedLayers.joined(separator: ", "))) moved in B (\(check.violations.count) tensors).</p>\n"
            }
        } else {
            out += "<p class=\"muted\">Neither A nor B records frozen layers; pass --frozen SPEC for a frozen verdict.</p>\n"
        }
        if diff.frozenStateFromB { out += "<p class=\"muted\">A records no frozen state: B's record says what was frozen.</p>\n" }
        let rows = diff.rows(by: .layer)
        let labelWidth = 200, chartWidth = 480, rowHeight = 24
        let width = labelWidth + chartWidth + 170, height = rows.count * rowHeight + 34
        func x(_ change: Double?) -> Int {
            guard let change, change > 0 else { return 0 }
            return max(2, Int(logAxisPosition(change) * Double(chartWidth)))
        }
        out += "<svg class=\"diff-chart\" role=\"img\" aria-labelledby=\"diff-title\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" style=\"max-width:\(width)px\">\n"
        out += "<title id=\"diff-title\">\(escapedHTML("Relative change per layer, log axis from 1e-8 to 10: " + rows.map { "\($0.name) \($0.relativeChange.map(significant) ?? "-")" }.joined(separator: "; ")))</title>\n"
        for (exponent, label) in [(-8, "1e-8"), (-6, "1e-6"), (-4, "1e-4"), (-2, "0.01"), (0, "1")] {
            let gx = labelWidth + Int(Double(exponent + 8) / 9 * Double(chartWidth))
            out += "<line x1=\"\(gx)\" y1=\"0\" x2=\"\(gx)\" y2=\"\(height - 18)\" stroke=\"var(--line)\"/><text class=\"sub\" x=\"\(gx - 10)\" y=\"\(height - 4)\">\(label)</text>\n"
        }
        for (i, row) in rows.enumerated() {
            let y = i * rowHeight + 4
            let frozen = row.partlyFrozen ? "partly frozen" : row.frozenInA.map { $0 ? "frozen" : "" } ?? ""
            let color = row.frozenInA == true ? (row.changed == 0 ? "var(--good)" : "var(--bad)") : "var(--bar)"
            out += "<g class=\"diff-row\" data-name=\"\(escapedHTML(row.name))\"><title>\(escapedHTML("\(row.name): relative change \(row.relativeChange.map(significant) ?? "-"), max |Δ| \(significant(row.maxAbsDiff)), \(row.changed) of \(row.tensors) tensors changed\(frozen.isEmpty ? "" : ", " + frozen + " in A")"))</title>"
            out += "<text x=\"0\" y=\"\(y + 15)\">\(escapedHTML(row.name))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(x(row.relativeChange))\" height=\"\(rowHeight - 8)\" rx=\"2\" fill=\"\(color)\"/>"
            out += "<text class=\"sub\" x=\"\(labelWidth + chartWidth + 8)\" y=\"\(y + 15)\">\(row.relativeChange.map(significant) ?? "-")\(frozen.isEmpty ? "" : " · " + frozen + (row.frozenInA == true ? (row.changed == 0 ? " ✓" : " ✗") : ""))</text></g>\n"
        }
        out += "</svg>\n" + heatmap(diff)
        out += "<table>\n<tr><th>layer</th><th class=\"num\">changed</th><th class=\"num\">parameters</th><th class=\"num\">rel change</th><th class=\"num\">max |Δ|</th><th>frozen in A</th></tr>\n"
        for row in rows {
            let frozen = row.partlyFrozen ? "partly" : row.frozenInA.map { $0 ? "yes" : "no" } ?? "?"
            out += "<tr><td><code>\(escapedHTML(row.name))</code></td><td class=\"num\">\(row.changed)/\(row.tensors)</td><td class=\"num\">\(grouped(row.parameters))</td>"
            out += "<td class=\"num\">\(row.relativeChange.map(significant) ?? "-")</td><td class=\"num\">\(significant(row.maxAbsDiff))</td><td>\(frozen)</td></tr>\n"
        }
        if !diff.onlyInA.isEmpty || !diff.onlyInB.isEmpty {
            out += "</table>\n<p>Only in A: \(escapedHTML(diff.onlyInA.joined(separator: ", ")))<br>Only in B: \(escapedHTML(diff.onlyInB.joined(separator: ", ")))</p>\n"
        } else {
            out += "</table>\n"
        }
        return out + "</section>\n"
    }

    /// Encoder layers × tensor kinds, each cell shaded by the log of its relative change.
    func heatmap(_ diff: CheckpointDiff) -> String {
        var cells: [String: (difference: Double, norm: Double)] = [:]
        var layers: [String] = []
        for t in diff.tensors where t.name.hasPrefix("bert.encoder.layer.") {
            let parts = t.name.split(separator: ".")
            guard parts.count > 4 else { continue }
            let layer = parts[0...3].joined(separator: ".")
            let inner = parts[4...].joined(separator: ".")
            guard let column = Self.heatmapColumns.first(where: { inner.hasPrefix($0.prefix) || ($0.label == "LN" && inner.contains("LayerNorm.")) }) else { continue }
            if !layers.contains(layer) { layers.append(layer) }
            let key = layer + "|" + column.label
            cells[key, default: (0, 0)].difference += t.squaredDifference
            cells[key, default: (0, 0)].norm += t.squaredNormA
        }
        guard !layers.isEmpty else { return "" }
        let cell = 56, left = 190, top = 22
        let width = left + cell * Self.heatmapColumns.count + 10, height = top + layers.count * 26 + 6
        var out = "<svg class=\"diff-heatmap\" role=\"img\" aria-labelledby=\"heat-title\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" style=\"max-width:\(width)px\">\n"
        out += "<title id=\"heat-title\">Relative change by encoder layer (rows) and tensor kind (columns); darker is larger, log scale</title>\n"
        for (c, column) in Self.heatmapColumns.enumerated() {
            out += "<text class=\"sub\" x=\"\(left + c * cell + 8)\" y=\"14\">\(column.label)</text>"
        }
        for (r, layer) in layers.enumerated() {
            let y = top + r * 26
            out += "<text x=\"0\" y=\"\(y + 16)\">\(escapedHTML(layer))</text>"
            for (c, column) in Self.heatmapColumns.enumerated() {
                let sums = cells[layer + "|" + column.label] ?? (0, 0)
                let change = sums.norm > 0 ? (sums.difference / sums.norm).squareRoot() : (sums.difference > 0 ? Double.infinity : 0)
                let opacity = change > 0 ? max(logAxisPosition(change), 0.08) : 0
                out += "<rect class=\"cell\" x=\"\(left + c * cell)\" y=\"\(y)\" width=\"\(cell - 4)\" height=\"22\" rx=\"2\" fill=\"var(--bar)\" fill-opacity=\"\(decimal(opacity, decimals: 3))\" stroke=\"var(--line)\">"
                out += "<title>\(escapedHTML("\(layer) \(column.label): relative change \(significant(change))"))</title></rect>"
            }
            out += "\n"
        }
        return out + "</svg>\n"
    }
}
