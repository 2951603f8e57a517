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

    /// Where the HDF5 file starts in `mapped`: 0, or the offset of `model.weights.h5` inside a `.keras` archive.
    private let imageOffset: Int
    /// The size of the HDF5 file (the whole file, or the archive member).
    private let imageCount: Int
    /// A deflated `model.weights.h5`, inflated: the HDF5 file then lives here rather than in `mapped`.
    private let inflated: ZipArchive.Inflated?

    /// The members of a Keras 3 `.keras` archive this store reads, besides the weights.
    public static let archiveConfigKey = StoreMetadataKey.kerasArchiveConfig
    public static let archiveMetadataKey = StoreMetadataKey.kerasArchiveMetadata

    public init(path: String) throws {
        self.path = path
        var metadata: [String: String] = [:]
        if try KerasArchiveFormat.isArchive(path) {
            // A `.keras` zip. Keras stores model.weights.h5 uncompressed, so libhdf5 reads it in place from a private,
            // copy-on-write mapping of the archive (nothing is extracted or copied) and tensors are views into it;
            // a re-zipped, deflated archive is inflated into memory of the size its directory declares.
            mapped = try MappedFile(path: path, copyOnWrite: true)
            let archive = try ZipArchive(mapped.bytes, path: path)
            guard let member = archive.member(named: "model.weights.h5") else {
                if archive.member(named: "model.weights.npz") != nil {
                    throw TensorFormatError.unsupported(path: path, reason: "this Keras archive holds its weights as model.weights.npz (weights_format=\"npz\"); bertinspect reads model.weights.h5, Keras' default")
                }
                throw TensorFormatError.invalidArchive(path: path, reason: "this Keras archive holds no model.weights.h5 (its members: \(archive.members.prefix(8).map(\.name).joined(separator: ", ")))")
            }
            let image: UnsafeMutableRawBufferPointer
            if member.method == 8 {
                let buffer = try archive.inflated(member, in: mapped.bytes)
                inflated = buffer
                imageOffset = 0
                imageCount = member.size
                image = buffer.bytes
            } else {
                let stored = try archive.storedData(of: member, in: mapped.bytes)
                guard let view = mapped.privateBytes(member.dataOffset..<(member.dataOffset + stored.count)) else {
                    throw TensorFormatError.invalidArchive(path: path, reason: "model.weights.h5 lies outside the archive")
                }
                inflated = nil
                imageOffset = member.dataOffset
                imageCount = member.size
                image = view
            }
            reader = try HDF5Reader(path: path, fileSize: image.count, image: image)
            for (name, key) in [("config.json", Self.archiveConfigKey), ("metadata.json", Self.archiveMetadataKey)] {
                guard let entry = archive.member(named: name) else { continue }
                guard entry.size <= 16 << 20 else { throw TensorFormatError.invalidArchive(path: path, reason: "\(name) is larger than 16 MiB") }
                let text: String?
                if entry.method == 8 {
                    let buffer = try archive.inflated(entry, in: mapped.bytes)
                    text = withExtendedLifetime(buffer) { String(validating: UnsafeRawBufferPointer(buffer.bytes), as: UTF8.self) }
                } else {
                    text = String(validating: try archive.storedData(of: entry, in: mapped.bytes), as: UTF8.self)
                }
                guard let text else { throw TensorFormatError.invalidArchive(path: path, reason: "\(name) is not UTF-8 text") }
                metadata[key] = text
            }
        } else {
            mapped = try MappedFile(path: path)
            imageOffset = 0
            imageCount = mapped.count
            inflated = nil
            reader = try HDF5Reader(path: path, fileSize: mapped.count)
        }
        let (found, groups) = try reader.walk()
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let root = try reader.attributes(of: "")

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
            layout = mapped.copyOnWrite ? .keras3Archive : .keras3Weights
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

        if layout.isKeras3 {
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

    /// For a `.keras` archive, calls `body` with the bytes of its model.weights.h5 (in place, or inflated); nil for an
    /// HDF5 file.
    public func withArchivedWeights<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard layout == .keras3Archive else { return nil }
        if let inflated { return try body(UnsafeRawBufferPointer(inflated.bytes)) }
        return try withExtendedLifetime(mapped) { try body(UnsafeRawBufferPointer(rebasing: mapped.bytes[imageOffset..<(imageOffset + imageCount)])) }
    }

    /// Contiguous little-endian datasets are read straight from the mapping; others through a temporary buffer.
    public func hasStableView(of tensor: StoredTensor) -> Bool { datasets[tensor.name]?.fileOffset != nil }

    public func discardPages(of tensor: StoredTensor) {
        if inflated == nil, let dataset = datasets[tensor.name], let offset = dataset.fileOffset {
            mapped.discardPages((imageOffset + offset)..<(imageOffset + offset + tensor.byteCount))
        }
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let dataset = datasets[tensor.name] else {
            throw HDF5Error.malformed(path: path, reason: "tensor '\(tensor.name)' is not in this file")
        }
        let count = tensor.byteCount
        if let offset = dataset.fileOffset {
            if let inflated { return try body(UnsafeRawBufferPointer(rebasing: inflated.bytes[offset..<(offset + count)])) }
            return try body(UnsafeRawBufferPointer(rebasing: mapped.bytes[(imageOffset + offset)..<(imageOffset + offset + count)]))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        defer { buffer.deallocate() }
        let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        try reader.read(dataset, into: view)
        return try body(UnsafeRawBufferPointer(view))
    }
}

/// Writes Keras 3 `.keras` archives as Keras does: `metadata.json`, `config.json`, `model.weights.h5`, all stored.
public enum KerasArchiveWriter {
    /// Writes the archive to `file` (not committed): `metadata` (Keras' metadata.json; nil writes one naming this
    /// tool), `config` (config.json) and the HDF5 `weights`.
    public static func write(metadata: String?, config: String, weights: UnsafeRawBufferPointer, to file: AtomicFile) throws {
        var zip = ZipWriter(file: file)
        try add(&zip, "metadata.json", metadata ?? #"{"keras_version": "3", "date_saved": "written by bertinspect"}"#)
        try add(&zip, "config.json", config)
        try zip.add("model.weights.h5", weights)
        try zip.finish()
    }

    /// Writes `plan` (a Keras 3 weights plan) as the archive's model.weights.h5, with `config` and `metadata`: the
    /// weights go to a temporary HDF5 file beside `file` first (removed afterwards), then into the zip.
    public static func write(_ plan: WritePlan, from store: any TensorStore, metadata: String?, config: String,
                             to file: AtomicFile, progress: (() -> Void)? = nil) throws -> Int {
        let weights = try AtomicFile(destination: file.destination + ".model.weights.h5", overwrite: true)
        let overflows = try HDF5Writer(progress: progress).write(plan, from: store, to: weights)
        try MappedFile(path: weights.temporaryPath).withBytes { bytes in
            try write(metadata: metadata, config: config, weights: bytes, to: file)
        }
        return overflows
    }

    private static func add(_ zip: inout ZipWriter, _ name: String, _ text: String) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try zip.add(name, UnsafeRawBufferPointer($0)) }
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

/// Keras 3's `.keras` archive: a zip whose first member is one Keras writes (`metadata.json`, `config.json`,
/// `model.weights.h5`), recognised by content. The weights inside are read in place by `KerasHDF5Store`.
public struct KerasArchiveFormat: CheckpointFormat {
    public init() {}
    public var name: String { "Keras 3 .keras" }
    static let memberNames = ["metadata.json", "config.json", "model.weights.h5", "model.weights.npz"]

    public func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool { Self.recognizes(prefix) }

    static func recognizes(_ prefix: UnsafeRawBufferPointer) -> Bool {
        // A zip local header: signature, then the name length at 26 and the name at 30.
        guard prefix.count >= 30, prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return false }
        let length = Int(prefix[26]) | Int(prefix[27]) << 8
        guard 30 + length <= prefix.count else { return false }
        let name = Array(prefix[30..<(30 + length)])
        return memberNames.contains { Array($0.utf8) == name }
    }

    /// Whether the file at `path` is such an archive.
    static func isArchive(_ path: String) throws -> Bool {
        let (prefix, _) = try InputFile.head(of: path, count: 1024)
        return prefix.withUnsafeBytes { recognizes($0) }
    }

    public func open(path: String) throws -> any TensorStore { try KerasHDF5Store(path: path) }
}
