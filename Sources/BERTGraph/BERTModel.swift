import TensorFormats

/// A parameter of the typed model bound to the stored tensor that holds it.
public struct BoundParameter: Sendable, Hashable {
    public var spec: ParameterSpec
    public var stored: StoredTensor
    /// Whether training would update it (Keras `trainable`, or a recorded freeze).
    public var trainable: Bool
    /// The top-level layer that owns it (the Keras layer group, or the first path component).
    public var layer: String
}

/// A top-level layer as Keras' `model.summary()` or PyTorch's `named_children()` lists it.
public struct TopLevelLayer: Sendable, Hashable {
    /// The layer's name in the file (`bert`, `dropout_37`, `classifier`, `conv1d_1`).
    public var name: String
    /// Class to show (`TFBertMainLayer`, `Dropout`, `Dense`, `Conv1D`).
    public var className: String
    /// Canonical path prefix of the parameters it owns; nil for weightless layers.
    public var parameterPrefix: [String]?
}

/// A BERT checkpoint understood as a typed model: architecture, configuration, bound parameters and what loading found.
public struct BERTModel: Sendable {
    public var architecture: Architecture
    public var configuration: BERTConfiguration
    public var naming: NamingScheme
    public var hasPooler: Bool
    /// Parameters in canonical order, each bound to its stored tensor (only those found).
    public var parameters: [BoundParameter]
    /// Keras layers outside BERT (the CNN head), in file order.
    public var kerasLayers: [KerasLayer]
    /// Top-level layers in file order.
    public var layers: [TopLevelLayer]
    public var report: LoadReport
    /// Canonical prefixes recorded as frozen in the checkpoint (bertinspect metadata), if any.
    public var frozenPrefixes: [[String]]
    /// Whether the file records which parameters train: a Keras-2 full-model save (its layers' `trainable` flags) or
    /// bertinspect's own frozen record. Weight files (`save_weights`, `save_pretrained`, Keras 3 `.weights.h5`,
    /// safetensors) record none: a model saved after `bert.trainable = False` is byte-identical to one saved before.
    public var trainableRecorded = true
    /// The model's class as the file records it (a Keras full-model save's `class_name`), if it does.
    public var recordedClass: String?
    /// A Keras 3 layer's own name (what Keras and config.json call it) by the name its weights are stored under
    /// (`conv1d_1` → `conv_3`), where they differ.
    public var kerasNames: [String: String] = [:]

    /// The architecture as a person should read it: the transformers class, or for a Keras model the class the file
    /// records (if any) and its shape.
    public var architectureName: String {
        guard architecture.transformersClass == nil else { return architecture.className }
        let shape = architecture == .bertCNN ? "BERT + Conv1D head" : "Embedding + Conv1D head"
        return recordedClass.map { "\($0) (Keras model: \(shape))" } ?? architecture.className
    }

    /// Total, trainable and non-trainable parameter counts (each tensor once; buffers never).
    public var parameterCounts: (total: Int, trainable: Int, nonTrainable: Int) {
        var total = 0, trainable = 0
        for parameter in parameters {
            total += parameter.spec.elementCount
            if parameter.trainable { trainable += parameter.spec.elementCount }
        }
        return (total, trainable, total - trainable)
    }

    /// The bound parameters of each top-level layer, in binding order.
    public var parametersByLayer: [String: [BoundParameter]] {
        Dictionary(grouping: parameters, by: \.layer)
    }

    /// The bound parameter with canonical name `name`.
    public func parameter(named name: String) -> BoundParameter? {
        parameters.first { $0.spec.name == name }
    }
}

/// The metadata key under which bertinspect records frozen subtrees (a JSON list of canonical prefixes).
public let frozenMetadataKey = "bertinspect.frozen"
