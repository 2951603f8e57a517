import BERTGraph
import BERTRuntime
import WordPiece
import HDF5Formats
import TensorFormats

let convertCommand = Command(
    name: "convert",
    abstract: "Convert any checkpoint bertinspect reads to safetensors, HF tf_model.h5 / Keras HDF5, Keras 3 .keras, ONNX or GGUF.",
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

    --to onnx writes the model's forward pass as an ONNX graph that onnxruntime runs: inputs input_ids,
    attention_mask, token_type_ids (int64, dynamic batch and sequence; the notebook's CNN models take input_ids
    only), outputs named as transformers names them (logits, or last_hidden_state and pooler_output), every
    parameter an initializer under its HF PyTorch name. --graph standard uses only standard ONNX operators (any
    runtime); --graph fused uses onnxruntime's com.microsoft operators (EmbedLayerNormalization, Attention,
    SkipLayerNormalization, BiasGelu) for its fastest path. --dtype f16 stores float16 weights that the graph casts
    to float32. Weights over 2 GB, or --external-data, go to OUT.data beside the model. --max-length N fixes the
    sequence axis at N tokens for runtimes that need static shapes.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        .value("--to", placeholder: "FORMAT", help: "The format to write.", choices: ["safetensors", "h5", "keras", "onnx", "gguf"]),
        .value("--output", "-o", placeholder: "OUT", help: "Output file or folder.", completes: .file),
        .value("--dtype", placeholder: "TYPE", help: "Element type (round to nearest even; NaN and Inf kept). Default: unchanged.",
               choices: ["f32", "f16", "bf16", "q8_0"]),
        .value("--max-shard-size", placeholder: "SIZE", help: "Split safetensors output into shards of at most SIZE (2GB, 500MB) plus an index."),
        .value("--graph", placeholder: "KIND", help: "ONNX only: standard ONNX operators, or onnxruntime's fused ones.",
               default: "standard", choices: ["standard", "fused"]),
        .value("--opset", placeholder: "N", help: "ONNX only: the ai.onnx opset.", default: "17", range: ONNXExport.opsets),
        .flag("--external-data", help: "ONNX only: write the weights to OUT.data beside the model (always above 2 GB)."),
        .value("--max-length", placeholder: "N", help: "ONNX only: fix the sequence axis at N tokens (static shapes); default: free.",
               range: 1...1_000_000),
        .flag("--with-config", help: "With a file OUT, also write config.json and the tokenizer files beside it."),
        SharedOptions.force,
    ],
    examples: ["bertinspect convert fixtures/tf-seqcls --to safetensors -o /tmp/seqcls-pt/",
               "bertinspect convert fixtures/tf-seqcls --to onnx -o /tmp/seqcls.onnx",
               "bertinspect convert fixtures/pt-base --to gguf --dtype f16 -o /tmp/base-f16.gguf"],
    run: runConvert
)

func runConvert(_ parsed: ParsedArguments) throws -> ExitCode {
    let path = try parsed.single("PATH")
    if let target = parsed.value("--to"), target == "onnx" || target == "gguf" {
        return try runExport(parsed, path: path, target: target)
    }
    for option in ["--graph", "--opset", "--external-data", "--max-length"] where parsed.has(option) || parsed.value(option) != nil {
        throw UsageError("\(option) applies to --to onnx only")
    }
    guard let targetName = parsed.value("--to"), let target = ConversionTarget(rawValue: targetName == "keras" ? "h5" : targetName) else {
        throw UsageError("--to must be 'safetensors', 'h5' or 'keras'")
    }
    let keras = targetName == "keras"
    var dtype: DType?
    if let name = parsed.value("--dtype") {
        guard let value = DType(rawValue: name.uppercased()), [.f32, .f16, .bf16].contains(value) else {
            if name == "q8_0" { throw UsageError("--dtype q8_0 is a GGUF type; --to \(parsed.value("--to") ?? "") writes f32, f16 or bf16") }
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
    let companions = try writeCompanions(destination, checkpoint: checkpoint, model: model, force: force)
    let bytes = plan.entries.reduce(0) { $0 + $1.byteCount }
    let types = Set(plan.entries.map(\.dtype.rawValue)).sorted().joined(separator: ", ")
    status("wrote \(written.joined(separator: ", ")): \(plan.entries.count) tensors, \(humanSize(bytes)), \(types)")
    for line in companions { status(line) }
    let fromConfig = model.configuration.sources.filter { $0.value == .read }.map(\.key).sorted()
    if !destination.writesCompanions, model.architecture.hasEncoder, !fromConfig.isEmpty {
        // Read back alone, the weights give the shapes only: a head count of hidden_size / 64 would be assumed.
        status("note: \(destination.weightsPath) holds the weights alone; \(fromConfig.joined(separator: ", ")) came from config.json, which a file OUT does not get: give a folder OUT or --with-config to keep them")
    }
    if overflows > 0 { status("note: \(grouped(overflows)) finite values exceeded the \(dtype?.rawValue ?? "") range and became ±inf") }
    return .success
}

/// Copies the files from_pretrained reads beside the weights into the output folder (another model's config.json,
/// model_type not bert, is not carried over) and writes a config.json from the model where the folder has none;
/// returns what it did, a status line each.
func writeCompanions(_ destination: OutputLocation, checkpoint: Checkpoint, model: BERTModel, force: Bool) throws -> [String] {
    let names = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]
        .filter { !($0 == "config.json" && model.report.ignoredConfig) }
    let open = { (path: String) throws -> AtomicFile in try openOutput(path, overwrite: force) }
    var lines = try destination.copyCompanions(names, besideInput: checkpoint.weightsPath, open: open).map { "copied \($0)" }
    if model.architecture.hasEncoder, try destination.writeCompanionIfMissing("config.json", contents: ConfigWriter.configJSON(for: model), open: open) {
        let assumed = model.configuration.sources.filter { $0.value == .assumed }.map(\.key).sorted()
        lines.append("wrote config.json from the tensors" + (assumed.isEmpty ? "" : "; assumed: \(assumed.joined(separator: ", "))"))
    }
    return lines
}

/// The SHA-256 of a file, streamed from its mapping.
func sha256(ofFile path: String) throws -> String {
    try MappedFile(path: path).sha256()
}

/// `convert --to onnx|gguf`: a deployment export of the model's forward pass (ONNX) or of its weights with the
/// tokenizer (GGUF), written atomically like every output.
func runExport(_ parsed: ParsedArguments, path: String, target: String) throws -> ExitCode {
    let dtypeName = parsed.value("--dtype") ?? "f32"
    let onnx = target == "onnx"
    if onnx {
        guard dtypeName == "f32" || dtypeName == "f16" else { throw UsageError("--to onnx writes f32 or f16 weights, got --dtype \(dtypeName)") }
        if parsed.value("--max-shard-size") != nil { throw UsageError("--max-shard-size is supported for safetensors output only") }
    } else {
        for option in ["--graph", "--opset", "--external-data", "--max-shard-size", "--max-length"] where parsed.has(option) || parsed.value(option) != nil {
            throw UsageError("\(option) does not apply to --to gguf")
        }
    }
    let force = parsed.has("--force")
    let output = parsed.value("--output")
    let suffix = onnx ? ".onnx" : ".gguf"
    if let output, OutputLocation.isFile(output), !output.lowercased().hasSuffix(suffix) {
        throw UsageError("the output \(output) does not end in \(suffix), which --to \(target) writes; name a \(suffix) file or a folder")
    }
    let checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
    let model = try ModelLoader.load(checkpoint)
    let sequenceLength = parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 0) }
    if let length = sequenceLength, model.architecture.hasEncoder, length > model.configuration.maxPositionEmbeddings {
        throw UsageError("--max-length \(length) is more than this model's max_position_embeddings (\(model.configuration.maxPositionEmbeddings)); use \(model.configuration.maxPositionEmbeddings) or less")
    }
    let destination = try OutputLocation(input: checkpoint.weightsPath, output: output, fileName: "model" + suffix,
                                         withCompanions: parsed.has("--with-config"))
    let plan = try Conversion.plan(model, store: checkpoint.store, target: .safetensors, dtype: nil, metadata: [:])
    var written: [String] = []
    var overflows = 0
    if onnx {
        let options = ONNXExport.Options(graph: ONNXExport.Graph(rawValue: parsed.value("--graph") ?? "standard") ?? .standard,
                                         opset: parsed.integer("--opset", default: 17), dtype: dtypeName == "f16" ? .f16 : .f32,
                                         sequenceLength: sequenceLength,
                                         producerVersion: toolVersion)
        var graph = try ONNXExport.model(model, plan: plan, options: options, path: checkpoint.weightsPath)
        graph.metadata.insert(("bertinspect.source", FilePath.fileName(of: checkpoint.weightsPath)), at: 0)
        let weightBytes = graph.initializers.reduce(0) { $0 + $1.byteCount }
        let external = parsed.has("--external-data") || weightBytes >= ONNXWriter.inlineLimit
        try destination.prepare()
        let progress = Progress(label: "exporting", total: graph.initializers.count)
        let file = try openOutput(destination.weightsPath, overwrite: force)
        if external {
            let dataPath = destination.weightsPath + ".data"
            let data = try openOutput(dataPath, overwrite: force)
            overflows = try ONNXWriter(progress: progress.update).write(graph, from: checkpoint.store, to: file,
                                                                         externalData: (data, FilePath.fileName(of: dataPath)))
            try data.commit()
            written.append(dataPath)
        } else {
            overflows = try ONNXWriter(progress: progress.update).write(graph, from: checkpoint.store, to: file)
        }
        try file.commit()
        written.insert(destination.weightsPath, at: 0)
        progress.finish()
        status("wrote \(written.joined(separator: ", ")): \(options.graph.rawValue) graph, opset \(options.opset), \(graph.nodes.count) nodes, \(graph.initializers.count) initializers, \(humanSize(weightBytes)) \(dtypeName)")
    } else {
        guard let type = GGUFExport.tensorType(dtypeName) else { throw UsageError("--to gguf writes f32, f16, bf16 or q8_0, got --dtype \(dtypeName)") }
        try GGUFExport.checkExpressible(model, path: checkpoint.weightsPath)
        guard let vocabPath = checkpoint.vocabPath else {
            throw TensorFormatError.invalidCompanion(path: checkpoint.path, reason: "no vocab.txt beside the weights: GGUF carries the tokenizer, so it needs the model's vocabulary")
        }
        let vocabulary = try Vocabulary(contentsOfFile: vocabPath, maximumTokens: model.configuration.vocabSize)
        let lowerCase = try lowerCaseChoice(nil, recorded: model.configuration.doLowerCase, vocabulary: vocabulary, path: vocabPath)
        let export = try GGUFExport.export(
            model, plan: plan, type: type, vocabulary: GGUFExport.Vocabulary(tokens: vocabulary.tokensInOrder, lowerCase: lowerCase),
            pooling: sentenceTransformersPooling(besideWeights: checkpoint.weightsPath), name: modelName(checkpoint.weightsPath),
            path: checkpoint.weightsPath)
        try destination.prepare()
        let progress = Progress(label: "exporting", total: export.file.tensors.count)
        let file = try openOutput(destination.weightsPath, overwrite: force)
        overflows = try GGUFWriter(progress: progress.update).write(export.file, from: checkpoint.store, to: file)
        try file.commit()
        progress.finish()
        written = [destination.weightsPath]
        let types = Set(export.file.tensors.map { "\($0.type)" }).sorted().joined(separator: ", ")
        status("wrote \(destination.weightsPath): GGUF v3, \(export.file.tensors.count) tensors (\(types)), \(export.file.metadata.count) metadata keys, vocabulary \(vocabulary.count) tokens")
        if !export.dropped.isEmpty {
            status("note: left out \(export.dropped.count) tensor(s) llama.cpp's BERT has no place for: \(export.dropped.prefix(4).joined(separator: ", "))\(export.dropped.count > 4 ? ", …" : "")")
        }
        if model.architecture == .sequenceClassification {
            status("note: llama.cpp feeds token type 0 at every position; a sentence pair's second segment gets transformers' type-1 embedding only there")
        }
    }
    for line in try writeCompanions(destination, checkpoint: checkpoint, model: model, force: force) { status(line) }
    if overflows > 0 { status("note: \(grouped(overflows)) finite values exceeded the \(dtypeName) range and became ±inf") }
    return .success
}

/// The pooling a sentence-transformers folder configures (modules.json's Pooling module, or 1_Pooling/config.json),
/// or nil when the folder has none.
func sentenceTransformersPooling(besideWeights weights: String) -> GGUFExport.Pooling? {
    let folder = FilePath.directory(of: weights)
    func json(_ path: String) -> JSONValue? {
        guard FilePath.isRegularFile(path), let file = try? MappedFile(path: path) else { return nil }
        return file.withBytes { try? JSONParser.parse($0) }
    }
    var poolingFolder = "1_Pooling"
    if let modules = json(FilePath.join(folder, "modules.json"))?.arrayValue {
        for module in modules where module["type"]?.stringValue?.hasSuffix(".Pooling") == true {
            if let path = module["path"]?.stringValue, !path.contains(".."), !path.hasPrefix("/") { poolingFolder = path }
        }
    }
    guard let config = json(FilePath.join(FilePath.join(folder, poolingFolder), "config.json")) else {
        return nil
    }
    if config["pooling_mode_cls_token"]?.boolValue == true { return .cls }
    if config["pooling_mode_mean_tokens"]?.boolValue == true { return .mean }
    if config["pooling_mode_lasttoken"]?.boolValue == true { return .last }
    return nil
}

/// A model's name for metadata: its folder's name, or the file's name without its extension.
func modelName(_ weights: String) -> String {
    let folder = FilePath.fileName(of: FilePath.directory(of: weights))
    if !folder.isEmpty, folder != ".", folder != "/" { return folder }
    let file = FilePath.fileName(of: weights)
    return String(file.prefix { $0 != "." })
}
