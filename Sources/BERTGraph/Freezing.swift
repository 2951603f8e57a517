import TensorFormats

/// A freeze or unfreeze applied to a loaded model: the new frozen state and what to persist, whatever the format.
/// The caller writes it with the format's writer (safetensors metadata, or HDF5 root attributes).
public struct Freezing: Sendable {
    /// Canonical names of the parameters frozen after the change.
    public var frozen: Set<String>
    /// The record to store under `frozenMetadataKey` (`[]` when nothing is frozen: the state is still recorded).
    public var record: String
    /// For a Keras full-model save: the `model_config` with each layer's `trainable` flag set to match (for a Keras 3
    /// `.keras` archive, its config.json); nil when the configuration lists no layers to flag.
    public var kerasModelConfig: String?
    /// Trainable parameters before the change, when the file recorded them.
    public var trainableBefore: Int?
    /// Trainable parameters after it.
    public var trainableAfter: Int
    /// All parameters.
    public var total: Int

    /// Freezes (or unfreezes) the parameters under `prefixes` of `model`, loaded from a store with `metadata`.
    public init(_ model: BERTModel, prefixes: [[String]], freezing: Bool, metadata: [String: String]) {
        var frozen = FreezeState.frozenParameters(model)
        let named = Set(model.parameters.filter { parameter in prefixes.contains { parameter.spec.path.starts(with: $0) } }.map(\.spec.name))
        if freezing { frozen.formUnion(named) } else { frozen.subtract(named) }
        self.frozen = frozen
        record = FreezeState.encode(FreezeState.compress(frozen, model: model)) ?? "[]"
        if let config = metadata["model_config"] {
            kerasModelConfig = KerasModelConfig.settingTrainable(config, Self.trainableFlags(model, frozen: frozen)) ?? config
        } else if let config = metadata[kerasArchiveConfigKey], KerasModelConfig(json: config)?.listsLayers == true {
            kerasModelConfig = KerasModelConfig.settingTrainable(config, Self.trainableFlags(model, frozen: frozen))
        }
        trainableBefore = model.trainableRecorded ? model.parameterCounts.trainable : nil
        trainableAfter = model.parameters.filter { !frozen.contains($0.spec.name) }.reduce(0) { $0 + $1.spec.elementCount }
        total = model.parameterCounts.total
    }

    /// Each layer's `trainable` flag after the change, by the name Keras gives the layer.
    public static func trainableFlags(_ model: BERTModel, frozen: Set<String>) -> [String: Bool] {
        var flags: [String: Bool] = [:]
        for (layer, parameters) in model.parametersByLayer {
            flags[model.kerasNames[layer] ?? layer] = !parameters.allSatisfy { frozen.contains($0.spec.name) }
        }
        return flags
    }

    /// The metadata a safetensors file gets: its own, with the new record.
    public func safetensorsMetadata(_ metadata: [String: String]) -> [String: String] {
        var updated = metadata
        updated[frozenMetadataKey] = record
        return updated
    }

    /// The root attributes an HDF5 file gets: the record, and a full-model save's updated `model_config`.
    public var hdf5Attributes: [String: String] {
        var attributes = [frozenMetadataKey: record]
        if let kerasModelConfig { attributes["model_config"] = kerasModelConfig }
        return attributes
    }
}
