import TensorFormats

/// A Keras or transformers HDF5 checkpoint read as a tensor store.
///
/// The layout is recognised from structure, never from the file name (FORMATS.md §1): a root `layer_names`
/// attribute (Keras-2 `save_weights`, which HF `save_pretrained` uses, and HF shards that list datasets
/// directly), a root `model_config` with a `/model_weights` group (Keras-2 `model.save`), or `…/vars/N`
/// datasets (Keras 3 `.weights.h5`). Only datasets the layer lists name become tensors.
public final class KerasHDF5Store: TensorStore, @unchecked Sendable {
    public let path: String
    public let layout: StoreLayout
    public let tensors: [StoredTensor]
    public let layerGroups: [LayerGroup]?
    public let metadata: [String: String]
    /// Datasets the file holds that no layer list names (optimizer state, `top_level_model_weights`).
    public let unlistedNames: [String]
    public var fileSize: Int { mapped.count }

    private let reader: HDF5Reader
    private let mapped: MappedFile
    private let datasets: [String: HDF5Dataset]

    /// The metadata key listing a Keras 3 file's `vars` groups and their `name` attributes (a JSON list of
    /// `{"path", "name"}`), which `HDF5Writer` restores.
    public static let keras3VarsKey = "bertinspect.keras3_vars"

    /// Top-level layer groups that transformers' TF BERT classes write.
    static let transformersLayerNames: Set<String> = ["bert", "classifier", "mlm___cls", "nsp___cls", "qa_outputs"]

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        reader = try HDF5Reader(path: path, fileSize: mapped.count)
        let (found, groups) = try reader.walk()
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let root = try reader.attributes(of: "")

        var metadata: [String: String] = [:]
        for (key, value) in root {
            if case let .strings(strings) = value, strings.count == 1 { metadata[key] = strings[0] }
        }

        var base = ""
        var layerNames: [String]?
        var layout: StoreLayout
        if case let .strings(names)? = root["layer_names"] {
            layerNames = names
            layout = .kerasWeights
        } else if root["model_config"] != nil, groups.contains("model_weights") {
            base = "model_weights/"
            let weightsAttributes = try reader.attributes(of: "model_weights", only: ["layer_names"])
            guard case let .strings(names)? = weightsAttributes["layer_names"] else {
                throw HDF5Error.malformed(path: path, reason: "'/model_weights' has no 'layer_names' attribute")
            }
            layerNames = names
            layout = .kerasFullModel
        } else if found.contains(where: { $0.path.contains("/vars/") || $0.path.hasPrefix("vars/") }) {
            layout = .keras3Weights
        } else {
            throw HDF5Error.unsupported(
                path: path,
                reason: "the file has no Keras layer list ('layer_names' attribute) and no Keras 3 'vars' groups, so it is not a Keras or transformers checkpoint")
        }

        var tensors: [StoredTensor] = []
        var layerGroups: [LayerGroup] = []
        var listed = Set<String>()
        var datasets: [String: HDF5Dataset] = [:]
        func take(_ datasetPath: String, as name: String) throws {
            guard let dataset = byPath[datasetPath] else {
                throw HDF5Error.malformed(path: path, reason: "the layer list names '/\(datasetPath)', which the file does not hold")
            }
            guard listed.insert(datasetPath).inserted else {
                throw HDF5Error.malformed(path: path, reason: "'/\(datasetPath)' is listed twice")
            }
            datasets[name] = dataset
            tensors.append(StoredTensor(name: name, dtype: dataset.dtype, shape: dataset.shape))
        }

        if let layerNames {
            for layer in layerNames {
                let groupPath = base + layer
                if byPath[groupPath] != nil {
                    // transformers' sharded TF checkpoints list datasets directly under the root.
                    try take(groupPath, as: layer)
                    layerGroups.append(LayerGroup(name: layer, tensorNames: [layer]))
                    continue
                }
                guard groups.contains(groupPath) else {
                    throw HDF5Error.malformed(path: path, reason: "layer '\(layer)' is listed but has no group")
                }
                var weightNames: [String] = []
                if case let .strings(names)? = try reader.attributes(of: groupPath, only: ["weight_names"])["weight_names"] { weightNames = names }
                for weight in weightNames {
                    try take(groupPath + "/" + weight, as: layer + "/" + weight)
                }
                layerGroups.append(LayerGroup(name: layer, tensorNames: weightNames.map { layer + "/" + $0 }))
            }
            let transformersGroups = layerNames.contains("bert")
                && layerNames.allSatisfy { Self.transformersLayerNames.contains($0) || $0.hasPrefix("dropout") }
            let shardDatasets = !layerGroups.isEmpty && layerGroups.allSatisfy { $0.tensorNames == [$0.name] }
            if layout == .kerasWeights, transformersGroups || shardDatasets {
                layout = .hfTFWeights
            }
        } else {
            // Keras 3: `<layer path>/vars/<i>`; the layer path is the group.
            var order: [String] = []
            var members: [String: [(Int, String)]] = [:]
            for dataset in found {
                let components = dataset.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard components.count >= 2, components[components.count - 2] == "vars", let number = Int(components.last!) else { continue }
                let layer = components.dropLast(2).joined(separator: "/")
                if members[layer] == nil { order.append(layer) }
                members[layer, default: []].append((number, dataset.path))
            }
            for layer in order {
                let sorted = members[layer]!.sorted { $0.0 < $1.0 }
                for (_, datasetPath) in sorted { try take(datasetPath, as: datasetPath) }
                layerGroups.append(LayerGroup(name: layer, tensorNames: sorted.map(\.1)))
            }
        }

        if layout == .keras3Weights {
            // Keras 3 loads by structure: every `…/vars` group (empty ones too) and its `name` attribute. They are
            // kept as metadata so that a conversion back to HDF5 can restore the layout exactly.
            var varsGroups: [JSONValue] = []
            for group in groups.sorted() where group == "vars" || group.hasSuffix("/vars") {
                var members: [(String, JSONValue)] = [("path", .string(group))]
                if case let .strings(names)? = try reader.attributes(of: group, only: ["name"])["name"], let name = names.first {
                    members.append(("name", .string(name)))
                }
                varsGroups.append(.object(members))
            }
            metadata[Self.keras3VarsKey] = JSONValue.array(varsGroups).serialized()
        }
        self.layout = layout
        self.tensors = tensors
        self.layerGroups = layerGroups
        self.metadata = metadata
        self.datasets = datasets
        unlistedNames = found.map(\.path).filter { !listed.contains($0) }
    }

    /// Contiguous little-endian datasets are read straight from the mapping; others through a temporary buffer.
    public func hasStableView(of tensor: StoredTensor) -> Bool { datasets[tensor.name]?.fileOffset != nil }

    public func discardPages(of tensor: StoredTensor) {
        if let dataset = datasets[tensor.name], let offset = dataset.fileOffset {
            mapped.discardPages(offset..<(offset + tensor.byteCount))
        }
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let dataset = datasets[tensor.name] else {
            throw HDF5Error.malformed(path: path, reason: "tensor '\(tensor.name)' is not in this file")
        }
        let count = tensor.byteCount
        if let offset = dataset.fileOffset {
            return try body(UnsafeRawBufferPointer(rebasing: mapped.bytes[offset..<(offset + count)]))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        defer { buffer.deallocate() }
        let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        try reader.read(dataset, into: view)
        return try body(UnsafeRawBufferPointer(view))
    }
}

/// The HDF5 file format, recognised by its 8-byte signature at offset 0 or 512.
public struct HDF5Format: CheckpointFormat {
    public init() {}
    public var name: String { "HDF5" }
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    public func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool {
        for offset in [0, 512] where prefix.count >= offset + 8 {
            if Array(prefix[offset..<(offset + 8)]) == Self.signature { return true }
        }
        return false
    }

    public func open(path: String) throws -> any TensorStore { try KerasHDF5Store(path: path) }
}
