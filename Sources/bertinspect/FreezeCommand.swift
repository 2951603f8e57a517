import BERTGraph
import HDF5Formats
import TensorFormats

let freezeCommand = makeFreezeCommand(freezing: true)
let unfreezeCommand = makeFreezeCommand(freezing: false)

/// `freeze` and `unfreeze`: one description, two verbs.
func makeFreezeCommand(freezing: Bool) -> Command {
    let name = freezing ? "freeze" : "unfreeze"
    return Command(
        name: name,
        abstract: freezing ? "Mark layers non-trainable (Keras trainable = False), recorded in the checkpoint." : "Mark frozen layers trainable again.",
        synopsis: ["PATH --layers SPEC[,SPEC…] (-o OUT | --in-place) [--force]"],
        discussion: """
        SPEC names a part of the model: bert, bert.embeddings, bert.encoder, bert.encoder.layer.3, a range
        bert.encoder.layer.0-5, bert.pooler, classifier, head (whatever head the model has), all, TF spellings
        (layer_._3) and Keras layer names (conv1d_1). The state is stored with the checkpoint: safetensors
        __metadata__ "\(frozenMetadataKey)", an HDF5 root attribute of the same name, and for a Keras full-model
        save the "trainable" flags of its model_config as well, so Keras itself loads it frozen. A Keras 3 .keras
        archive gets the flags in its config.json (weights copied byte for byte), which keras.saving.load_model
        applies; layers may be named as Keras names them (conv_3) or as their weights are stored (conv1d_1).
        """,
        arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file (safetensors, HDF5 or a Keras 3 .keras archive).", count: 1...1)],
        options: [
            .value("--layers", placeholder: "SPEC", help: "What to \(name) (comma-separated)."),
            .value("--output", "-o", placeholder: "OUT", help: "Write the result to OUT.", completes: .file),
            .flag("--in-place", help: "Replace PATH (atomically)."),
            SharedOptions.force,
        ],
        examples: ["bertinspect \(name) fixtures/tf-seqcls/tf_model.h5 --layers bert -o /tmp/frozen.h5"],
        run: { try runFreeze($0, freezing: freezing) }
    )
}

func runFreeze(_ parsed: ParsedArguments, freezing: Bool) throws -> ExitCode {
    let path = try parsed.single("PATH")
    guard let spec = parsed.value("--layers") else { throw UsageError("--layers is required") }
    let output = parsed.value("--output")
    let inPlace = parsed.has("--in-place")
    guard (output == nil) != !inPlace else { throw UsageError("give exactly one of -o OUT and --in-place") }

    let checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
    let store = checkpoint.store
    if store is ShardedStore {
        throw TensorFormatError.unsupported(path: checkpoint.weightsPath, reason: "freezing a sharded checkpoint; convert it to one file first")
    }
    if !store.layout.recordsFrozenState && store.layout != .keras3Archive {
        throw TensorFormatError.unsupported(path: checkpoint.weightsPath, reason: "\(store.layout.container.first.map { "AEIOU".contains($0) } == true ? "an" : "a") \(store.layout.container) cannot record frozen layers (bertinspect writes only safetensors and HDF5); convert it first: bertinspect convert \(path) --to safetensors")
    }
    let model = try ModelLoader.load(checkpoint)
    let change = Freezing(model, prefixes: try LayerSpec.resolve(spec, model: model), freezing: freezing, metadata: store.metadata)
    if store.layout == .keras3Archive, change.kerasModelConfig == nil {
        throw TensorFormatError.unsupported(path: checkpoint.weightsPath, reason: "its config.json lists no layers (a subclassed model's holds only its constructor arguments), so no trainable flag can be recorded where Keras would read it; convert it first: bertinspect convert \(path) --to safetensors")
    }
    let destination = inPlace ? checkpoint.weightsPath : output!
    let file = try openOutput(destination, overwrite: inPlace || parsed.has("--force"))
    if let archive = store as? KerasHDF5Store, store.layout == .keras3Archive, let config = change.kerasModelConfig {
        // A .keras archive keeps its weights byte for byte; config.json gets the layers' trainable flags, which
        // keras.saving.load_model applies.
        try archive.withArchivedWeights { weights in
            try KerasArchiveWriter.write(metadata: store.metadata[KerasHDF5Store.archiveMetadataKey], config: config, weights: weights, to: file)
        }
    } else if store.layout == .safetensors {
        let entries = store.tensors.map { WritePlan.Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape, source: $0, layout: .none) }
        _ = try SafetensorsWriter().write(WritePlan(entries: entries, metadata: change.safetensorsMetadata(store.metadata)), from: store, to: file)
    } else {
        try HDF5Writer.copy(try MappedFile(path: checkpoint.weightsPath), to: file, settingRootAttributes: change.hdf5Attributes)
    }
    try file.commit()
    let before = change.trainableBefore.map(grouped) ?? "? (not recorded)"
    status("\(freezing ? "froze" : "unfroze") \(spec): trainable parameters \(before) → \(grouped(change.trainableAfter)) of \(grouped(change.total)); wrote \(shown(destination))")
    return .success
}
