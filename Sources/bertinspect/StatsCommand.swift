import BERTGraph
import TensorFormats

let statsCommand = Command(
    name: "stats",
    abstract: "Per-tensor weight statistics and what looks wrong (a fresh head, zeros, NaN, outlier scales).",
    discussion: """
    For every parameter: mean, std, min and max of its finite values, the fraction of zeros, NaN and Inf counts and a
    16-bin histogram drawn as a sparkline. Findings: a head that looks freshly initialised (weights like N(0, 0.02),
    biases all zero), all-zero or constant tensors, NaN or Inf values, and encoder projections whose scale is over 10×
    or under 1/10 of the median. Values are streamed tensor by tensor; memory stays flat.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [.flag("--json", help: "Print one JSON object (schema bertinspect.stats/1).")],
    examples: ["bertinspect stats fixtures/tf-seqcls-fresh"],
    run: runStats
)

func runStats(_ parsed: ParsedArguments) throws -> ExitCode {
    let checkpoint = try Checkpoint.open(try parsed.single("PATH"), formats: checkpointFormats)
    let statistics = try WeightStatistics(model: ModelLoader.load(checkpoint), store: checkpoint.store)
    if parsed.has("--json") {
        print(statistics.json(path: checkpoint.path).serialized())
    } else {
        emit(renderStatistics(statistics, path: checkpoint.weightsPath), terminator: "")
    }
    return .success
}

/// A histogram as eight-level block characters, scaled to its largest bin.
func sparkline(_ counts: [Int]) -> String {
    let levels = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    let top = counts.max() ?? 0
    guard top > 0 else { return String(repeating: " ", count: counts.count) }
    return counts.map { $0 == 0 ? " " : levels[min(7, max(0, ($0 * 8 - 1) / top))] }.joined()
}

func renderStatistics(_ statistics: WeightStatistics, path: String) -> String {
    var out = "File: \(shown(path))\n\n"
    let width = max(24, statistics.tensors.map(\.name.count).max() ?? 0) + 2
    out += pad("Tensor", width) + pad("mean", 11, right: true) + pad("std", 11, right: true) + pad("min", 11, right: true)
        + pad("max", 11, right: true) + pad("zeros", 8, right: true) + pad("NaN/Inf", 9, right: true) + "   histogram\n"
    for t in statistics.tensors {
        let zeros = t.count > 0 ? Double(t.zeros) / Double(t.count) * 100 : 0
        out += pad(shown(t.name), width) + pad(significant(t.mean), 11, right: true) + pad(significant(t.std), 11, right: true)
            + pad(significant(t.min), 11, right: true) + pad(significant(t.max), 11, right: true)
            + pad(decimal(zeros, decimals: 1) + "%", 8, right: true) + pad("\(t.nans)/\(t.infinities)", 9, right: true)
            + "   " + sparkline(t.histogram) + "\n"
    }
    out += "\n" + (statistics.findings.isEmpty ? "No findings.\n" : "Findings:\n" + statistics.findings.map { "  - \(shown($0.message))\n" }.joined())
    return out
}
