import BERTGraph
import HDF5Formats
import TensorFormats

let convertCommand = Command(
    name: "convert",
    abstract: "Convert between HF tf_model.h5 / Keras HDF5 and safetensors, losslessly.",
    discussion: """
    safetensors output uses HF PyTorch names and layouts ({"format": "pt"}); h5 output is an HF tf_model.h5
    (the notebook's Keras models keep their Keras layers; Keras 3 files their Keras 3 layout). OUT defaults to
    model.safetensors / tf_model.h5 beside the input. An OUT ending in / or without a .safetensors/.h5 suffix is a
    folder (created, as save_pretrained does) that receives the weights plus config.json, vocab.txt and tokenizer
    files; a file OUT is written alone. A stored tensor that maps to no parameter stops the conversion (exit 3):
    nothing is dropped silently. An existing OUT is never replaced without --force (exit 5).
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        .value("--to", placeholder: "FORMAT", help: "The format to write.", choices: ["safetensors", "h5"]),
        .value("--output", "-o", placeholder: "OUT", help: "Output file or folder.", completes: .file),
        .value("--dtype", placeholder: "TYPE", help: "Element type (round to nearest even; NaN and Inf kept). Default: unchanged.",
               choices: ["f32", "f16", "bf16"]),
        .value("--max-shard-size", placeholder: "SIZE", help: "Split safetensors output into shards of at most SIZE (2GB, 500MB) plus an index."),
        .flag("--with-config", help: "With a file OUT, also write config.json and the tokenizer files beside it."),
        SharedOptions.force,
    ],
    examples: ["bertinspect convert fixtures/tf-seqcls --to safetensors -o /tmp/seqcls-pt/"],
    run: runConvert
)

func runConvert(_ parsed: ParsedArguments) throws -> ExitCode {
    let path = try parsed.single("PATH")
    guard let targetName = parsed.value("--to"), let target = ConversionTarget(rawValue: targetName) else {
        throw UsageError("--to must be 'safetensors' or 'h5'")
    }
    var dtype: DType?
    if let name = parsed.value("--dtype") {
        guard let value = DType(rawValue: name.uppercased()), [.f32, .f16, .bf16].contains(value) else {
            throw UsageError("--dtype must be f32, f16 or bf16, got '\(name)'")
        }
        dtype = value
    }
    let shardSize = try parsed.value("--max-shard-size").map { text in
        guard let size = ShardedSafetensorsWriter.parseSize(text) else {
            throw UsageError("--max-shard-size must look like 2GB, 500MB or 1000000 and fit a file, got '\(shown(text))'")
        }
        return size
    }
    if shardSize != nil, target == .h5 {
        throw UsageError("--max-shard-size is supported for safetensors output only")
    }
    let force = parsed.has("--force")
    let output = parsed.value("--output")

    let checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
    let model = try ModelLoader.load(checkpoint)
    let fileName = target == .safetensors ? "model.safetensors" : "tf_model.h5"
    let destination = try OutputLocation(checkpoint: checkpoint, output: output, fileName: fileName, target: target,
                                         withConfig: parsed.has("--with-config"))
    // Everything is checked before anything is done: the plan refuses an incomplete or lossy conversion before a
    // folder is created or the source is hashed.
    var plan = try Conversion.plan(model, store: checkpoint.store, target: target, dtype: dtype, metadata: [
        "bertinspect.version": toolVersion, "bertinspect.source": FilePath.fileName(of: checkpoint.weightsPath),
    ])
    try destination.prepare()
    plan.metadata["bertinspect.source_sha256"] = try sha256(ofFile: checkpoint.weightsPath)
    let progress = Progress(label: "converting", total: plan.entries.count)
    let writer: any CheckpointWriter = target == .safetensors ? SafetensorsWriter(progress: progress.update) : HDF5Writer(progress: progress.update)
    let written: [String]
    var overflows = 0
    if let shardSize {
        (written, overflows) = try ShardedSafetensorsWriter(maximumBytes: shardSize, progress: progress.update)
            .write(plan, from: checkpoint.store, folder: destination.folder) { try openOutput($0, overwrite: force) }
    } else {
        let file = try openOutput(destination.weightsPath, overwrite: force)
        overflows = try writer.write(plan, from: checkpoint.store, to: file)
        try file.commit()
        written = [destination.weightsPath]
    }
    progress.finish()
    let companions = try destination.copyCompanions(from: checkpoint, model: model, force: force)
    let bytes = plan.entries.reduce(0) { $0 + $1.byteCount }
    let types = Set(plan.entries.map(\.dtype.rawValue)).sorted().joined(separator: ", ")
    status("wrote \(written.joined(separator: ", ")): \(plan.entries.count) tensors, \(humanSize(bytes)), \(types)")
    for line in companions { status(line) }
    if overflows > 0 { status("note: \(grouped(overflows)) finite values exceeded the \(dtype?.rawValue ?? "") range and became ±inf") }
    return .success
}

/// Where a conversion writes, by the rule transformers' `save_pretrained` users expect: an OUT ending in `/`, an
/// existing folder, or a name without a weights suffix (`.safetensors`, `.h5`, `.keras`, `.onnx`, `.gguf`) is a
/// folder, created with its parents, that receives the weights plus config.json (copied from the source, or written
/// from the model), vocab.txt and the tokenizer files; a file OUT is that file alone (its folder created if missing),
/// with companions only when `--with-config` asks. Without OUT the weights go beside the input.
struct OutputLocation {
    var weightsPath: String
    var folder: String
    /// Whether config.json, vocab.txt and tokenizer files are copied into `folder`.
    var copiesCompanions: Bool
    /// Whether a config.json is written from the model when `folder` has none after copying.
    var writesConfig: Bool

    /// Suffixes that make an OUT a file rather than a folder.
    static let weightSuffixes = [".safetensors", ".h5", ".keras", ".onnx", ".gguf"]

    init(checkpoint: Checkpoint, output: String?, fileName: String, target: ConversionTarget, withConfig: Bool) throws {
        let inputFolder = FilePath.directory(of: checkpoint.weightsPath)
        if let output {
            let lower = output.lowercased()
            // Something that exists and is neither a folder nor a file (a device, a FIFO) is never written to.
            if !output.hasSuffix("/"), let kind = FilePath.nonRegularKind(output) { throw OutputError.notRegularFile(path: output, kind: kind) }
            let isFile = FilePath.isRegularFile(output) || Self.weightSuffixes.contains(where: lower.hasSuffix)
            let isFolder = output.hasSuffix("/") || FilePath.isDirectory(output) == true || !isFile
            if isFolder {
                folder = output.count > 1 && output.hasSuffix("/") ? String(output.dropLast()) : output
                weightsPath = FilePath.join(folder, fileName)
                copiesCompanions = FilePath.realPath(folder) != FilePath.realPath(inputFolder)
                writesConfig = true
            } else {
                let expected = target == .safetensors ? ".safetensors" : ".h5"
                guard lower.hasSuffix(expected) else {
                    throw UsageError("the output \(output) does not end in \(expected), which --to \(target.rawValue) writes; name a \(expected) file or a folder")
                }
                weightsPath = output
                folder = FilePath.directory(of: output)
                copiesCompanions = withConfig
                writesConfig = withConfig
            }
        } else {
            folder = inputFolder
            weightsPath = FilePath.join(folder, fileName)
            copiesCompanions = false
            writesConfig = true
        }
        if let a = FilePath.realPath(weightsPath), a == FilePath.realPath(checkpoint.weightsPath) {
            throw OutputError.replacesInput(path: weightsPath)
        }
    }

    /// Creates the output folder and its parents.
    func prepare() throws {
        try FilePath.makeDirectories(folder)
    }

    /// Copies config.json, vocab.txt and tokenizer files, or writes config.json from the model when there is none.
    func copyCompanions(from checkpoint: Checkpoint, model: BERTModel, force: Bool) throws -> [String] {
        var lines: [String] = []
        let source = FilePath.directory(of: checkpoint.weightsPath)
        if copiesCompanions {
            // A config.json of another model (model_type not bert) is not carried over; one is written from the model.
            let names = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]
            for name in names where !(name == "config.json" && model.report.ignoredConfig) {
                let from = FilePath.join(source, name)
                guard FilePath.isRegularFile(from) else { continue }
                let atomic = try openOutput(FilePath.join(folder, name), overwrite: force)
                try MappedFile.withContents(of: from) { try atomic.write($0) }
                try atomic.commit()
                lines.append("copied \(name)")
            }
        }
        let config = FilePath.join(folder, "config.json")
        if writesConfig, !FilePath.isRegularFile(config), model.architecture.hasEncoder {
            let text = ConfigWriter.configJSON(for: model)
            let atomic = try openOutput(config, overwrite: force)
            try Array(text.utf8).withUnsafeBytes { try atomic.write($0) }
            try atomic.commit()
            let assumed = model.configuration.sources.filter { $0.value == .assumed }.map(\.key).sorted()
            lines.append("wrote config.json from the tensors" + (assumed.isEmpty ? "" : "; assumed: \(assumed.joined(separator: ", "))"))
        }
        return lines
    }
}

/// The SHA-256 of a file, streamed from its mapping.
func sha256(ofFile path: String) throws -> String {
    try MappedFile(path: path).sha256()
}
