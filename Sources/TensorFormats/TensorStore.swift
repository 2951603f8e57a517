/// A named group of stored tensors as a Keras-style file lists it (a top-level Keras layer), in file order.
/// Weightless layers (dropout, pooling) appear with no tensors.
public struct LayerGroup: Sendable, Hashable {
    public var name: String
    /// Stored names of the group's tensors, in the order the file lists them.
    public var tensorNames: [String]

    public init(name: String, tensorNames: [String]) {
        self.name = name
        self.tensorNames = tensorNames
    }
}

/// Which on-disk layout a store was read from.
public enum StoreLayout: String, Sendable, Hashable {
    case safetensors = "safetensors"
    case hfTFWeights = "HF TF tf_model.h5"
    case kerasWeights = "Keras-2 weights (save_weights)"
    case kerasFullModel = "Keras-2 full model (model.save)"
    case keras3Weights = "Keras 3 weights (.weights.h5)"
    case keras3Archive = "model.weights.h5 inside"
    case pytorchZip = "zip (torch.save)"
    case pytorchLegacy = "legacy stream (torch.save before PyTorch 1.6)"
    case tensorflowGoogleBERT = "TF1, Google BERT names (mapped as transformers' load_tf_weights_in_bert does)"
    case tensorflowV1 = "TF1 (tf.compat.v1 Saver names)"
    case tensorflowV2 = "TF2 object graph (tf.train.Checkpoint, Keras save_weights)"
    case tensorflowModelGarden = "TF2 object graph, TensorFlow Model Garden BERT (EinsumDense kernels read as 2-D)"
    case onnx = "ONNX initializers (exporter-generated names and transposed MatMul weights mapped back from the consuming nodes)"

    /// Whether `freeze` can record a frozen state in a copy of this layout (safetensors metadata, an HDF5 attribute).
    public var recordsFrozenState: Bool { container == "safetensors" || container == "HDF5" }

    /// Whether the tensors are laid out as Keras 3 saves them (`layers/<name>/vars/<i>`).
    public var isKeras3: Bool { self == .keras3Weights || self == .keras3Archive }

    /// The file format the layout belongs to, as summaries name it.
    public var container: String {
        switch self {
        case .safetensors: return "safetensors"
        case .hfTFWeights, .kerasWeights, .kerasFullModel, .keras3Weights: return "HDF5"
        case .keras3Archive: return "Keras 3 .keras (zip)"
        case .pytorchZip, .pytorchLegacy: return "PyTorch pickle (read without executing it)"
        case .tensorflowGoogleBERT, .tensorflowV1, .tensorflowV2, .tensorflowModelGarden: return "TensorFlow checkpoint"
        case .onnx: return "ONNX model"
        }
    }
}

/// Metadata keys a store sets for what its file holds besides tensors.
public enum StoreMetadataKey {
    /// A Keras 3 `.keras` archive's config.json (the model's Keras configuration, read as inert data).
    public static let kerasArchiveConfig = "bertinspect.keras_archive.config"
    /// A Keras 3 `.keras` archive's metadata.json.
    public static let kerasArchiveMetadata = "bertinspect.keras_archive.metadata"
    /// The attention head count, where the stored shapes tell it (3-D EinsumDense kernels).
    public static let attentionHeads = "bertinspect.attention_heads"
}

/// Read access to the tensors of one checkpoint, whatever the file format.
///
/// A store is opened once and validated at its boundary; afterwards its tensor list and byte views are
/// trusted. Byte views stay valid for the lifetime of the store.
public protocol TensorStore: AnyObject, Sendable {
    /// The path the user gave (or the shard index), used in every message.
    var path: String { get }
    /// The layout the file was recognised as.
    var layout: StoreLayout { get }
    /// Every stored tensor in file order.
    var tensors: [StoredTensor] { get }
    /// Keras layer groups in file order, or nil for formats without layers (safetensors).
    var layerGroups: [LayerGroup]? { get }
    /// String metadata: safetensors `__metadata__`, or the string attributes of an HDF5 file's root.
    var metadata: [String: String] { get }
    /// Total size of the files read, in bytes.
    var fileSize: Int { get }
    /// Entries the file holds outside its list of model weights (a Keras full model's optimizer state).
    var unlistedNames: [String] { get }
    /// Lets the memory holding `tensor`'s bytes go once a streaming job is done with them.
    func discardPages(of tensor: StoredTensor)
    /// Whether `withBytes(of: tensor)` hands out a view into the mapped file that stays valid as long as the store
    /// (so it may be used in place), rather than a temporary buffer.
    func hasStableView(of tensor: StoredTensor) -> Bool
    /// Calls `body` with the little-endian bytes of `tensor`, without copying where the file allows.
    func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

extension TensorStore {
    public var unlistedNames: [String] { [] }
    public func discardPages(of tensor: StoredTensor) {}
    public func hasStableView(of tensor: StoredTensor) -> Bool { false }

    /// The stored tensor called `name`, if any.
    public func tensor(named name: String) -> StoredTensor? {
        tensors.first { $0.name == name }
    }
}
