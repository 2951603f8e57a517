import BERTGraph
import HDF5Formats
import TensorFormats

let convertCommand = Command(
    name: "convert",
    abstract: "Convert any checkpoint bertinspect reads to safetensors, HF tf_model.h5 / Keras HDF5 or Keras 3 .keras, losslessly.",
    discussion: """
    safetensors output uses HF PyTorch names and layouts ({"format": "pt"}); h5 output is an HF tf_model.h5
    (the notebook's Keras models keep their Keras layers; Keras 3 files their Keras 3 layout). OUT defaults to
    model.safetensors / tf_model.h5 beside the input. An OUT ending in / or without a .safetensors/.h5 suffix is a
    folder (created, as save_pretrained does) that receives the weights plus config.json, vocab.txt and tokenizer
    files; a file OUT is written alone. A stored tensor that maps to no parameter stops the conversion (exit 3):
    nothing is dropped silently. An existing OUT is never replaced without --force (exit 5). --to keras writes a
    Keras 3 .keras archive (config.json, metadata.json, model.weights.h5) that keras.saving.load_model opens; it
    needs the model's Keras 3 config.json, so the source must be a .keras archive or a copy converted from one
    (which carries it), and the layers' trainable flags follow the recorded frozen state.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        .value("--to", placeholder: "FORMAT", help: "The format to write.", choices: ["safetensors", "h5", "keras"]),
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
    guard let targetName = parsed.value("--to"), let target = ConversionTarget(rawValue: targetName == "keras" ? "h5" : targetName) else {
        throw UsageError("--to must be 'safetensors', 'h5' or 'keras'")
    }
    let keras = targetName == "keras"
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
    if shardSize != nil, target == .h5 || keras {
        throw UsageError("--max-shard-size is supported for safetensors output only")
    }
    let force = parsed.has("--force")
    let output = parsed.value("--output")

    let checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
    let model = try ModelLoader.load(checkpoint)
    let fileName = keras ? "model.keras" : target == .safetensors ? "model.safetensors" : "tf_model.h5"
    let kerasConfig = keras ? Conversion.kerasArchiveConfig(model, store: checkpoint.store) : nil
    if keras {
        guard kerasConfig != nil, model.naming.family == .keras3 || checkpoint.store.metadata[KerasHDF5Store.keras3VarsKey] != nil else {
            throw TensorFormatError.unsupported(path: checkpoint.weightsPath, reason: "--to keras needs the model's Keras 3 config.json, which Keras rebuilds the model from; this checkpoint is not a Keras 3 .keras archive or a copy converted from one")
        }
        if let dtype, dtype != .f32 { throw UsageError("--to keras writes float32 weights, as Keras 3 builds its variables from config.json; drop --dtype \(dtype.rawValue.lowercased())") }
    }
    if let output, OutputLocation.isFile(output) {
        let expected = keras ? ".keras" : target == .safetensors ? ".safetensors" : ".h5"
        guard output.lowercased().hasSuffix(expected) else {
            throw UsageError("the output \(output) does not end in \(expected), which --to \(target.rawValue) writes; name a \(expected) file or a folder")
        }
    }
    let destination = try OutputLocation(input: checkpoint.weightsPath, output: output, fileName: fileName,
                                         withCompanions: parsed.has("--with-config"))
    // Everything is checked before anything is done: the plan refuses an incomplete or lossy conversion before a
    // folder is created or the source is hashed.
    var plan = try Conversion.plan(model, store: checkpoint.store, target: target, dtype: dtype, metadata: [
        "bertinspect.version": toolVersion, "bertinspect.source": FilePath.fileName(of: checkpoint.weightsPath),
    ])
    if keras {
        // Inside a .keras archive the configuration lives in config.json: the weights file keeps only Keras' layout.
        plan.metadata = plan.metadata.filter { ![StoreMetadataKey.kerasArchiveConfig, StoreMetadataKey.kerasArchiveMetadata, frozenMetadataKey].contains($0.key) }
    }
    try destination.prepare()
    plan.metadata["bertinspect.source_sha256"] = try sha256(ofFile: checkpoint.weightsPath)
    let progress = Progress(label: "converting", total: plan.entries.count)
    let writer: any CheckpointWriter = target == .safetensors ? SafetensorsWriter(progress: progress.update) : HDF5Writer(progress: progress.update)
    let written: [String]
    var overflows = 0
    if let shardSize {
        (written, overflows) = try ShardedSafetensorsWriter(maximumBytes: shardSize, progress: progress.update)
            .write(plan, from: checkpoint.store, folder: destination.folder) { try openOutput($0, overwrite: force) }
    } else if let kerasConfig {
        let file = try openOutput(destination.weightsPath, overwrite: force)
        overflows = try KerasArchiveWriter.write(plan, from: checkpoint.store, metadata: checkpoint.store.metadata[StoreMetadataKey.kerasArchiveMetadata],
                                                 config: kerasConfig, to: file, progress: progress.update)
        try file.commit()
        written = [destination.weightsPath]
    } else {
        let file = try openOutput(destination.weightsPath, overwrite: force)
        overflows = try writer.write(plan, from: checkpoint.store, to: file)
        try file.commit()
        written = [destination.weightsPath]
    }
    progress.finish()
    // The files from_pretrained reads beside the weights; another model's config.json (model_type not bert) is not
    // carried over, and a config.json is written from the model where the folder has none.
    let names = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]
        .filter { !($0 == "config.json" && model.report.ignoredConfig) }
    let open = { (path: String) throws -> AtomicFile in try openOutput(path, overwrite: force) }
    var companions = try destination.copyCompanions(names, besideInput: checkpoint.weightsPath, open: open).map { "copied \($0)" }
    if model.architecture.hasEncoder, try destination.writeCompanionIfMissing("config.json", contents: ConfigWriter.configJSON(for: model), open: open) {
        let assumed = model.configuration.sources.filter { $0.value == .assumed }.map(\.key).sorted()
        companions.append("wrote config.json from the tensors" + (assumed.isEmpty ? "" : "; assumed: \(assumed.joined(separator: ", "))"))
    }
    let bytes = plan.entries.reduce(0) { $0 + $1.byteCount }
    let types = Set(plan.entries.map(\.dtype.rawValue)).sorted().joined(separator: ", ")
    status("wrote \(written.joined(separator: ", ")): \(plan.entries.count) tensors, \(humanSize(bytes)), \(types)")
    for line in companions { status(line) }
    if overflows > 0 { status("note: \(grouped(overflows)) finite values exceeded the \(dtype?.rawValue ?? "") range and became ±inf") }
    return .success
}

/// The SHA-256 of a file, streamed from its mapping.
func sha256(ofFile path: String) throws -> String {
    try MappedFile(path: path).sha256()
}
