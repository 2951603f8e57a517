/// The PyTorch pickle checkpoint format (`pytorch_model.bin`, `*.pt`): the zip archive `torch.save` writes since
/// PyTorch 1.6, and the legacy stream before it. Recognised by content: a zip archive or the legacy magic number.
public struct PyTorchFormat: CheckpointFormat {
    public init() {}
    public var name: String { "PyTorch pickle" }

    /// `80 02 8a 0a` + the 10-byte magic number 0x1950a86a20f9469cfc6c + STOP: the first pickle of a legacy file.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    /// Every zip is taken: the archive's members then say whether it is a torch.save checkpoint, a TorchScript
    /// archive or a Keras 3 file, and each of the last two is named in the error.
    public func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool {
        prefix.starts(with: Self.legacyMagic) || prefix.starts(with: [0x50, 0x4B, 0x03, 0x04])
    }

    public func open(path: String) throws -> any TensorStore { try PyTorchFile(path: path) }
}

/// A PyTorch state dict read from a pickle checkpoint without executing it (see `PickleMachine`), memory-mapped.
public final class PyTorchFile: TensorStore, Sendable {
    public let path: String
    public let layerGroups: [LayerGroup]? = nil
    public let metadata: [String: String] = [:]
    public let contents: PyTorchContents
    private let file: MappedFile

    public var layout: StoreLayout { contents.layout }
    public var tensors: [StoredTensor] { contents.tensors }
    /// Entries of the pickled dictionary that are not tensors (a training checkpoint's epoch, say), not read.
    public var unlistedNames: [String] { contents.unlistedNames }
    public var fileSize: Int { file.count }

    public init(path: String) throws(TensorFormatError) {
        self.path = path
        file = try MappedFile(path: path)
        contents = try file.withBytes { bytes throws(TensorFormatError) in try PyTorchContents.parse(bytes, path: path) }
    }

    public func hasStableView(of tensor: StoredTensor) -> Bool { contents.views[tensor.name]?.contiguous == true }

    public func discardPages(of tensor: StoredTensor) {
        guard let view = contents.views[tensor.name], view.contiguous else { return }
        file.discardPages(view.start..<(view.start + view.byteCount))
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard contents.views[tensor.name] != nil else {
            throw TensorFormatError.shardMismatch(path: path, tensor: tensor.name, reason: "is not in this file")
        }
        return try file.withBytes { bytes in try contents.withBytes(of: tensor.name, in: bytes, body) }
    }
}

/// What a PyTorch pickle checkpoint holds, parsed from its bytes: the tensors of its state dict and where each lies.
///
/// Checked before any tensor is used: the pickle is a dictionary (or a training checkpoint holding one under
/// `state_dict`/`model`) of tensors with unique names; each storage exists and holds exactly `numel × element size`
/// bytes; each tensor's view (offset, sizes, strides) stays inside its storage, computed with overflow checks. Tensors
/// that share a storage (tied weights) stay views of the same bytes; a non-contiguous view is copied out when read.
public struct PyTorchContents: Sendable {
    public let layout: StoreLayout
    /// The state dict's tensors, in its order.
    public let tensors: [StoredTensor]
    public let unlistedNames: [String]
    let views: [String: View]

    /// Where one tensor's elements lie in the file.
    struct View: Sendable {
        /// Byte offset of element 0 of the view (its storage's start plus the storage offset).
        var start: Int
        var elementSize: Int
        var shape: [Int]
        var strides: [Int]
        var contiguous: Bool
        var byteCount: Int { shape.reduce(elementSize, *) }
    }

    /// A storage's bytes inside the file.
    struct StorageBytes {
        var offset: Int
        var count: Int
    }

    /// Parses and checks `bytes`, the whole file at `path`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorFormatError) -> PyTorchContents {
        let legacy = bytes.starts(with: PyTorchFormat.legacyMagic)
        let parsed = legacy ? try readLegacy(bytes, path: path) : try readZip(bytes, path: path)
        let (tensors, views, unlisted) = try stateDict(parsed.0, root: parsed.1, storages: parsed.2, path: path)
        return PyTorchContents(layout: legacy ? .pytorchLegacy : .pytorchZip, tensors: tensors, unlistedNames: unlisted, views: views)
    }

    /// Calls `body` with the row-major bytes of tensor `name`, read from `bytes` (the parsed file): a view into it
    /// when the tensor is contiguous, otherwise a temporary buffer its elements are gathered into.
    public func withBytes<R>(of name: String, in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let view = views[name] else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if view.contiguous {
            return try body(UnsafeRawBufferPointer(rebasing: bytes[view.start..<(view.start + view.byteCount)]))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: view.byteCount, alignment: 16)
        defer { buffer.deallocate() }
        let size = view.elementSize
        let count = view.shape.reduce(1, *)
        var index = [Int](repeating: 0, count: view.shape.count)
        for element in 0..<count {
            var source = 0
            for axis in 0..<index.count { source += index[axis] * view.strides[axis] }
            (buffer.baseAddress! + element * size).copyMemory(from: bytes.baseAddress! + view.start + source * size, byteCount: size)
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < view.shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return try body(UnsafeRawBufferPointer(buffer))
    }

    // MARK: - Containers

    /// The zip format: `<root>/data.pkl`, storages in `<root>/data/<key>`, `<root>/byteorder`.
    static func readZip(
        _ bytes: UnsafeRawBufferPointer, path: String
    ) throws(TensorFormatError) -> (PickleMachine, PickleMachine.Value, [String: StorageBytes]) {
        let archive = try ZipArchive(bytes, path: path)
        guard let first = archive.members.first else { throw .invalidArchive(path: path, reason: "the archive is empty") }
        let root = String(first.name.prefix { $0 != "/" })
        if archive.members.contains(where: { $0.name.hasPrefix(root + "/code/") || $0.name == root + "/constants.pkl" }) {
            let format = ForeignFormat.torchScript
            throw .foreignFormat(path: path, name: format.name, advice: format.advice)
        }
        guard let pickle = archive.member(named: root + "/data.pkl") else {
            if archive.members.contains(where: { ["model.weights.h5", "metadata.json"].contains($0.name) }) {
                let format = ForeignFormat.keras3Archive
                throw .foreignFormat(path: path, name: format.name, advice: format.advice)
            }
            throw .invalidArchive(path: path, reason: "no '\(root)/data.pkl' member: not a torch.save checkpoint")
        }
        if let order = archive.member(named: root + "/byteorder") {
            let text = String(decoding: try archive.storedData(of: order, in: bytes), as: UTF8.self)
            guard text == "little" else {
                throw .unsupported(path: path, reason: "the storages are stored with byte order '\(text.prefix(16))'; only 'little' is read")
            }
        }
        var machine = PickleMachine(try archive.storedData(of: pickle, in: bytes))
        let value = try run(&machine, member: pickle.name, path: path)
        var storages: [String: StorageBytes] = [:]
        for storage in machine.storages where storages[storage.key] == nil {
            let name = root + "/data/" + storage.key
            guard let member = archive.member(named: name) else {
                throw .invalidArchive(path: path, reason: "storage '\(storage.key)' (named at \(pickle.name) byte \(storage.offset)) has no '\(name)' member")
            }
            storages[storage.key] = StorageBytes(offset: member.dataOffset, count: try archive.storedData(of: member, in: bytes).count)
        }
        return (machine, value, storages)
    }

    /// The legacy stream: five pickles (magic number, protocol version 1001, system info, the object, the storage
    /// keys), then each storage as an int64 element count and its raw bytes, in the order of the key list.
    static func readLegacy(
        _ bytes: UnsafeRawBufferPointer, path: String
    ) throws(TensorFormatError) -> (PickleMachine, PickleMachine.Value, [String: StorageBytes]) {
        var header = PickleMachine(bytes)
        _ = try run(&header, member: "magic number", path: path)
        let version = try run(&header, member: "protocol version", path: path, from: header.end)
        guard version == .int(1001) else { throw .unsupported(path: path, reason: "legacy protocol version \(version), not 1001") }
        let info = try run(&header, member: "system info", path: path, from: header.end)
        let littleEndian = header.entries(of: info)?.first { $0.key == .string("little_endian") }?.value
        guard littleEndian == .bool(true) else { throw .unsupported(path: path, reason: "the storages are not little-endian") }
        var machine = PickleMachine(bytes, legacy: true)
        let value = try run(&machine, member: "object pickle", path: path, from: header.end)
        var keys = PickleMachine(bytes)
        let list = try run(&keys, member: "storage key list", path: path, from: machine.end)
        guard let items = keys.items(of: list) else { throw .invalidLegacyStream(path: path, reason: "the storage key list is not a list") }

        var elementSize: [String: (size: Int, count: Int)] = [:]
        for storage in machine.storages where storage.view == nil { elementSize[storage.key] = (storage.dtype.size, storage.elementCount) }
        for storage in machine.storages { if let view = storage.view, elementSize[view.key] == nil { elementSize[view.key] = (storage.dtype.size, -1) } }
        var storages: [String: StorageBytes] = [:]
        var cursor = keys.end
        for item in items {
            guard case let .string(key) = item, storages[key] == nil else {
                throw .invalidLegacyStream(path: path, reason: "a storage key is not a string or is listed twice")
            }
            guard let (size, expected) = elementSize[key] else {
                throw .invalidLegacyStream(path: path, reason: "storage '\(key)' is used by no tensor")
            }
            guard cursor + 8 <= bytes.count else { throw .invalidLegacyStream(path: path, reason: "storage '\(key)' is cut off at byte \(cursor)") }
            let count = Int64(bitPattern: ByteReader(bytes).u64(at: cursor))
            guard count >= 0, expected < 0 || count == expected, let byteCount = checkedByteCount(shape: [Int(count)], elementSize: size),
                  byteCount <= bytes.count - cursor - 8
            else { throw .invalidLegacyStream(path: path, reason: "storage '\(key)' at byte \(cursor) claims \(count) elements; the pickle expects \(expected < 0 ? "a view's root" : String(expected)) and the file holds \(max(0, bytes.count - cursor - 8)) more bytes") }
            storages[key] = StorageBytes(offset: cursor + 8, count: byteCount)
            cursor += 8 + byteCount
        }
        return (machine, value, storages)
    }

    private static func run(
        _ machine: inout PickleMachine, member: String, path: String, from start: Int = 0
    ) throws(TensorFormatError) -> PickleMachine.Value {
        do { return try machine.run(from: start) } catch {
            throw error.refused
                ? .refusedPickle(path: path, member: member, offset: error.offset, reason: error.reason)
                : .invalidPickle(path: path, member: member, offset: error.offset, reason: error.reason)
        }
    }

    // MARK: - The state dict

    /// The tensors of the pickled dictionary in its order, with their views checked against their storages.
    static func stateDict(
        _ machine: PickleMachine, root: PickleMachine.Value, storages: [String: StorageBytes], path: String
    ) throws(TensorFormatError) -> ([StoredTensor], [String: View], [String]) {
        guard var entries = machine.entries(of: root) else {
            throw .unsupported(path: path, reason: "the pickle holds no dictionary of tensors (not a state dict)")
        }
        // A training script's checkpoint: {"state_dict": {...}, "epoch": 3} or {"model": {...}}.
        var unlisted: [String] = []
        if !entries.contains(where: { if case .tensor = $0.value { true } else { false } }),
           let inner = entries.first(where: { $0.key == .string("state_dict") || $0.key == .string("model") }),
           let nested = machine.entries(of: inner.value) {
            for (key, _) in entries where key != inner.key { if case let .string(name) = key { unlisted.append(name) } }
            entries = nested
        }
        var tensors: [StoredTensor] = []
        var views: [String: View] = [:]
        for (key, value) in entries {
            guard case let .string(name) = key else { throw .unsupported(path: path, reason: "a state-dict key is not a string") }
            guard case let .tensor(index) = value else { unlisted.append(name); continue }
            guard tensors.count < SafetensorsFile.maximumTensorCount else { throw .tooManyTensors(path: path, count: tensors.count + 1) }
            let tensor = machine.tensors[index]
            let storage = machine.storages[tensor.storage]
            var base = storage.key, baseOffset = 0, available = storage.elementCount
            if let view = storage.view { (base, baseOffset, available) = (view.key, view.offset, view.count) }
            guard let bytes = storages[base] else {
                throw .invalidTensorData(path: path, tensor: name, reason: "its storage '\(base)' is missing")
            }
            let size = storage.dtype.size
            let (claimed, overflow) = storage.elementCount.multipliedReportingOverflow(by: size)
            guard storage.view != nil || (!overflow && bytes.count == claimed) else {
                throw .invalidTensorData(path: path, tensor: name, reason: "storage '\(base)' holds \(bytes.count) bytes but its id claims \(storage.elementCount) elements of \(size) bytes")
            }
            if storage.view != nil {
                guard baseOffset <= bytes.count / size, available <= bytes.count / size - baseOffset else {
                    throw .invalidTensorData(path: path, tensor: name, reason: "its storage view lies outside storage '\(base)'")
                }
            }
            guard let last = lastElement(tensor), let elements = checkedByteCount(shape: tensor.shape, elementSize: 1) else {
                throw .invalidTensorData(path: path, tensor: name, reason: "its offset, sizes and strides overflow")
            }
            guard elements == 0 ? tensor.storageOffset <= available : last < available else {
                throw .invalidTensorData(path: path, tensor: name, reason: "its view (offset \(tensor.storageOffset), size \(tensor.shape), stride \(tensor.strides)) reaches element \(last) of a storage of \(available)")
            }
            guard checkedByteCount(shape: tensor.shape, elementSize: size) != nil else {
                throw .invalidTensorData(path: path, tensor: name, reason: "its byte size overflows")
            }
            guard views[name] == nil else { throw .duplicateTensor(path: path, tensor: name) }
            views[name] = View(
                start: bytes.offset + (baseOffset + tensor.storageOffset) * size, elementSize: size,
                shape: tensor.shape, strides: tensor.strides, contiguous: isContiguous(tensor))
            tensors.append(StoredTensor(name: name, dtype: storage.dtype, shape: tensor.shape))
        }
        return (tensors, views, unlisted)
    }

    /// offset + Σ (size_i − 1) · stride_i: the last element a view touches, or nil on overflow.
    static func lastElement(_ tensor: PickleMachine.Tensor) -> Int? {
        var last = tensor.storageOffset
        for (size, stride) in zip(tensor.shape, tensor.strides) where size > 0 {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow else { return nil }
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow2 else { return nil }
            last = sum
        }
        return last
    }

    /// Whether a view's strides are row-major over its sizes (axes of size 1 may carry any stride).
    static func isContiguous(_ tensor: PickleMachine.Tensor) -> Bool {
        var expected = 1
        for (size, stride) in zip(tensor.shape, tensor.strides).reversed() {
            if size != 1, stride != expected { return tensor.shape.contains(0) }
            expected *= size
        }
        return true
    }
}
