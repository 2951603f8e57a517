import BERTGraph
import TensorFormats

let diffCommand = Command(
    name: "diff",
    abstract: "Compare two checkpoints tensor by tensor, across formats (exit 1 when they differ).",
    discussion: """
    Compares every parameter by canonical name (TF kernels are compared in PyTorch layout): tensors only in A
    or only in B (stored tensors that map to no parameter count), shape and dtype changes, and per tensor the max
    abs diff, relative L2 and cosine; then a roll-up per module, which answers "did freezing BERT really keep it
    fixed during fine-tuning?".
    """,
    arguments: [ArgumentSpec(name: "A", help: "The first checkpoint.", count: 1...1), ArgumentSpec(name: "B", help: "The second checkpoint.", count: 1...1)],
    options: [
        .value("--atol", placeholder: "X", help: "Largest |a − b| still counted as equal (0: bit-for-bit values).", default: "0"),
        .flag("--json", help: "Print one JSON object (schema bertinspect.diff/1)."),
    ],
    examples: ["bertinspect diff fixtures/tf-seqcls fixtures/pt-seqcls"],
    run: runDiff
)

func runDiff(_ parsed: ParsedArguments) throws -> ExitCode {
    guard parsed.positionals.count == 2 else { throw UsageError("expected two checkpoints A and B") }
    var atol = 0.0
    if let text = parsed.value("--atol") {
        guard let value = Double(text), value >= 0 else { throw UsageError("--atol must be a non-negative number, got '\(text)'") }
        atol = value
    }
    let a = try Checkpoint.open(parsed.positionals[0], formats: checkpointFormats)
    let b = try Checkpoint.open(parsed.positionals[1], formats: checkpointFormats)
    let diff = try CheckpointDiff(a: ModelLoader.load(a), storeA: a.store, b: ModelLoader.load(b), storeB: b.store, atol: atol)
    if parsed.has("--json") {
        print(diff.json(pathA: a.path, pathB: b.path).serialized())
    } else {
        emit(renderDiff(diff, a: a.path, b: b.path), terminator: "")
    }
    return diff.differs ? .checkFailed : .success
}

func renderDiff(_ diff: CheckpointDiff, a: String, b: String) -> String {
    func scientific(_ value: Double?) -> String { value.map(significant) ?? "-" }
    var out = "A: \(shown(a))\nB: \(shown(b))\n\n"
    let width = max(12, diff.groups.map(\.name.count).max() ?? 0) + 2
    out += pad("Module", width) + pad("Tensors", 9, right: true) + pad("Changed", 9, right: true) + pad("Max abs diff", 15, right: true) + "   Status\n"
    for group in diff.groups {
        out += pad(shown(group.name), width) + pad(String(group.tensors), 9, right: true) + pad(String(group.changed), 9, right: true)
            + pad(scientific(group.maxAbsDiff), 15, right: true) + "   " + group.status + "\n"
    }
    let changed = diff.tensors.filter(\.differs)
    if !changed.isEmpty {
        out += "\nChanged tensors:\n"
        for t in changed {
            let shape = t.shapeA == t.shapeB ? shapeText(t.shapeA) : "\(shapeText(t.shapeA)) → \(shapeText(t.shapeB))"
            out += "  \(shown(t.name)) \(shape) max abs \(scientific(t.maxAbsDiff)), rel L2 \(scientific(t.relativeL2)), cosine \(t.cosine.map { decimal($0, decimals: 6) } ?? "-")\n"
        }
    }
    let dtypeChanges = diff.tensors.filter { $0.dtypeA != $0.dtypeB }
    if !dtypeChanges.isEmpty { out += "\n\(dtypeChanges.count) tensor(s) changed dtype, e.g. \(shown(dtypeChanges[0].name)): \(dtypeChanges[0].dtypeA.rawValue) → \(dtypeChanges[0].dtypeB.rawValue)\n" }
    if !diff.onlyInA.isEmpty { out += "\nOnly in A: " + diff.onlyInA.map(shown).joined(separator: ", ") + "\n" }
    if !diff.onlyInB.isEmpty { out += "\nOnly in B: " + diff.onlyInB.map(shown).joined(separator: ", ") + "\n" }
    let total = diff.tensors.count + diff.onlyInA.count + diff.onlyInB.count
    let differing = changed.count + diff.onlyInA.count + diff.onlyInB.count
    out += "\n" + (diff.differs ? "\(differing) of \(total) tensors differ beyond atol \(diff.atol)." : "All \(total) tensors equal within atol \(diff.atol).") + "\n"
    return out
}
