import BERTGraph
import TensorFormats
#if canImport(Glibc)
import Glibc
#endif

let diffCommand = Command(
    name: "diff",
    abstract: "Compare two checkpoints tensor by tensor, across formats (exit 1 when they differ).",
    discussion: """
    Compares every parameter by canonical name (TF kernels are compared in PyTorch layout): tensors only in A
    or only in B (stored tensors that map to no parameter count), shape and dtype changes, and per tensor the max
    abs diff, relative L2 and cosine; then a roll-up per layer (bert.embeddings, bert.encoder.layer.N, bert.pooler,
    each head), per module or per tensor, with the relative change ‖B − A‖ / ‖A‖ drawn as a bar on a log axis, and
    whether A has the rows frozen. --check-frozen answers "did freezing BERT really keep it fixed during
    fine-tuning?": every tensor A's frozen state covers (bertinspect's record, a Keras full model's flags, or
    --frozen SPEC, since PyTorch's save_pretrained records none) must be bit-identical in B; when A records none
    and B does (the fine-tuned model saved with its flags), B's record is used, with a note. It exits 1 naming the
    frozen layers that changed, and 0 when they all held, whatever else training moved.
    """,
    arguments: [ArgumentSpec(name: "A", help: "The first checkpoint.", count: 1...1), ArgumentSpec(name: "B", help: "The second checkpoint.", count: 1...1)],
    options: [
        .value("--atol", placeholder: "X", help: "Largest |a − b| still counted as equal (0: bit-for-bit values).", default: "0"),
        .value("--by", placeholder: "GROUP", help: "Roll-up rows: one per tensor, per layer or per module.", default: "layer",
               choices: CheckpointDiff.Grouping.allCases.map(\.rawValue)),
        .value("--top", placeholder: "N", help: "Show only the N rows that moved most (by relative change).", range: 1...1_000_000),
        .flag("--ascii", help: "Draw the bars with '#' instead of Unicode blocks."),
        .flag("--check-frozen", help: "Check that everything frozen in A (or, when A records nothing, in B's record) is bit-identical in B (exit 1 naming what moved)."),
        .value("--frozen", placeholder: "SPEC", help: "The layers frozen in A (as freeze --layers takes them), when neither file records them."),
        .flag("--json", help: "Print one JSON object (schema bertinspect.diff/1)."),
    ],
    examples: ["bertinspect diff fixtures/tf-seqcls fixtures/pt-seqcls",
               "bertinspect diff before/ after/ --check-frozen --frozen bert"],
    run: runDiff
)

func runDiff(_ parsed: ParsedArguments) throws -> ExitCode {
    guard parsed.positionals.count == 2 else { throw UsageError("expected two checkpoints A and B") }
    var atol = 0.0
    if let text = parsed.value("--atol") {
        guard let value = Double(text), value >= 0 else { throw UsageError("--atol must be a non-negative number, got '\(text)'") }
        atol = value
    }
    let grouping = CheckpointDiff.Grouping(rawValue: parsed.value("--by") ?? "layer") ?? .layer
    let top = parsed.value("--top").map { _ in parsed.integer("--top", default: 1) }
    let a = try Checkpoint.open(parsed.positionals[0], formats: checkpointFormats)
    let b = try Checkpoint.open(parsed.positionals[1], formats: checkpointFormats)
    let modelA = try ModelLoader.load(a)
    let frozen = try parsed.value("--frozen").map { try LayerSpec.resolve($0, model: modelA) }
    let diff = try CheckpointDiff(a: modelA, storeA: a.store, b: ModelLoader.load(b), storeB: b.store, atol: atol, frozen: frozen)
    let checking = parsed.has("--check-frozen")
    if checking, diff.frozenCheck == nil {
        throw UsageError("neither \(a.path) nor \(b.path) records frozen layers (these formats store none); say which were frozen with --frozen SPEC, e.g. --frozen bert")
    }
    if diff.frozenStateFromB {
        status("note: \(a.path) records no frozen state; \(b.path)'s record is used (frozen: \(diff.frozenPrefixes.map { $0.isEmpty ? "nothing" : $0.joined(separator: ", ") } ?? "nothing"))")
    }
    if parsed.has("--json") {
        print(diff.json(pathA: a.path, pathB: b.path).serialized())
    } else {
        emit(renderDiff(diff, a: a.path, b: b.path, grouping: grouping, top: top, ascii: parsed.has("--ascii"), checking: checking), terminator: "")
    }
    if checking { return diff.frozenCheck!.holds ? .success : .checkFailed }
    return diff.differs ? .checkFailed : .success
}

/// Where a relative change lies on the log axis the bars, charts and heatmaps share: 0 at 1e-8 (and for no change),
/// 1 at 10 and beyond.
func logAxisPosition(_ change: Double) -> Double {
    guard change > 0 else { return 0 }
    return change.isFinite ? min(max((log10(change) + 8) / 9, 0), 1) : 1
}

/// A bar for a relative change on the log axis, in eighths of a cell.
func changeBar(_ change: Double?, width: Int, ascii: Bool) -> String {
    guard let change, change > 0 else { return "·" }
    let position = logAxisPosition(change)
    let eighths = max(1, Int((position * Double(width * 8)).rounded()))
    if ascii { return String(repeating: "#", count: max(1, eighths / 8)) }
    let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    return String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
}

func renderDiff(_ diff: CheckpointDiff, a: String, b: String, grouping: CheckpointDiff.Grouping = .layer, top: Int? = nil,
                ascii: Bool = false, checking: Bool = false) -> String {
    func scientific(_ value: Double?) -> String { value.map(significant) ?? "-" }
    var out = "A: \(shown(a))\nB: \(shown(b))\n\n"
    var rows = diff.rows(by: grouping)
    if let top { rows = Array(rows.sorted { ($0.relativeChange ?? .infinity) > ($1.relativeChange ?? .infinity) }.prefix(top)) }
    let width = max(16, rows.map(\.name.count).max() ?? 0) + 2
    let barWidth = 30
    out += pad(grouping == .tensor ? "Tensor" : grouping == .layer ? "Layer" : "Module", width) + pad("Changed", 9, right: true)
        + "   " + pad("rel change (log)", barWidth + 2) + pad("rel change", 11, right: true) + pad("max |Δ|", 11, right: true) + "   frozen in A\n"
    for row in rows {
        let frozen = row.partlyFrozen ? "partly" : row.frozenInA.map { $0 ? "yes" : "no" } ?? "?"
        let verdict = row.frozenInA == true ? (row.changed == 0 ? (ascii ? " ok" : " ✓") : (ascii ? " MOVED" : " ✗ moved")) : ""
        let changed = row.tensors > 0 ? "\(row.changed)/\(row.tensors)" : row.onlyInA > 0 ? "only A" : "only B"
        out += pad(shown(row.name), width) + pad(changed, 9, right: true) + "   "
            + pad(changeBar(row.relativeChange, width: barWidth, ascii: ascii), barWidth + 2)
            + pad(scientific(row.relativeChange), 11, right: true) + pad(scientific(row.maxAbsDiff), 11, right: true)
            + "   " + frozen + verdict + "\n"
    }
    let changed = diff.tensors.filter(\.differs)
    if !changed.isEmpty {
        out += "\nChanged tensors:\n"
        for t in changed {
            let shape = t.shapeA == t.shapeB ? shapeText(t.shapeA) : "\(shapeText(t.shapeA)) → \(shapeText(t.shapeB))"
            out += "  \(shown(t.name)) \(shape) max abs \(scientific(t.maxAbsDiff)), rel change \(scientific(t.relativeChange)), cosine \(t.cosine.map { decimal($0, decimals: 6) } ?? "-")\n"
        }
    }
    let dtypeChanges = diff.tensors.filter { $0.dtypeA != $0.dtypeB }
    if !dtypeChanges.isEmpty { out += "\n\(dtypeChanges.count) tensor(s) changed dtype, e.g. \(shown(dtypeChanges[0].name)): \(dtypeChanges[0].dtypeA.rawValue) → \(dtypeChanges[0].dtypeB.rawValue)\n" }
    if !diff.onlyInA.isEmpty { out += "\nOnly in A: " + diff.onlyInA.map(shown).joined(separator: ", ") + "\n" }
    if !diff.onlyInB.isEmpty { out += "\nOnly in B: " + diff.onlyInB.map(shown).joined(separator: ", ") + "\n" }
    let total = diff.tensors.count + diff.onlyInA.count + diff.onlyInB.count
    let differing = changed.count + diff.onlyInA.count + diff.onlyInB.count
    out += "\n" + (diff.differs ? "\(differing) of \(total) tensors differ beyond atol \(diff.atol)." : "All \(total) tensors equal within atol \(diff.atol).") + "\n"
    if checking, let check = diff.frozenCheck {
        let what = check.prefixes.isEmpty ? "nothing" : "\(check.prefixes.joined(separator: ", ")) (\(grouped(check.parameters)) parameters)"
        let side = diff.frozenStateFromB ? "B's record" : "A"
        if check.holds {
            out += check.prefixes.isEmpty ? "Frozen check: \(side) has nothing frozen.\n" : "Frozen check: \(what) unchanged, as frozen.\n"
        } else {
            out += "Frozen check FAILED: \(what) frozen in \(side), but \(check.changedLayers.map(shown).joined(separator: ", ")) moved in B ("
                + "\(check.violations.count) tensor(s), e.g. \(shown(check.violations[0])))\n"
        }
    }
    return out
}
