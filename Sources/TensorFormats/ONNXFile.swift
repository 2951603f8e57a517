#if canImport(Glibc)
import Glibc
#endif

/// An ONNX model read as a checkpoint: its initializers are the tensors, memory-mapped where they are stored raw
/// (inline `raw_data`, or external data files beside the model), and the graph is read for what it says about them.
///
/// Weights keep the names the file gives them, except where an exporter renamed them: torch's exporters store each
/// Linear weight that feeds a `MatMul` transposed (`[in, out]`) under a generated name (`onnx::MatMul_12`,
/// `val_98`), feed one deduplicated initializer to several modules, re-create dropped names as `Identity` outputs,
/// and drop all-zero `Gemm` biases. The module each initializer belongs to is in its consumer node's scope (the
/// TorchScript node name `/bert/encoder/layer.0/attention/self/query/MatMul`, or the dynamo exporter's `namespace`
/// metadata); from it the store presents the PyTorch state-dict name in PyTorch's layout (transposed back), one
/// entry per module that uses a shared initializer, and a zero bias where a `Gemm` has none. Initializers that are
/// graph constants rather than parameters are listed in `unlistedNames`.
///
/// Validation follows onnxruntime and the onnx library's external-data rules: bounded protobuf framing, dims that
/// are non-negative with a product that does not overflow, `raw_data` exactly `dims × element size`, unique
/// initializer names, and external data only in regular files inside the model's folder (no absolute path, no
/// `..`, no symbolic link on the way, offset and length inside the file).
public final class ONNXFile: TensorStore, Sendable {
    /// Sub-graph nesting (If/Loop/Scan bodies) accepted; onnxruntime's protobuf parser stops near 100 message levels.
    public static let maximumGraphDepth = 16
    public static let maximumInitializers = 100_000

    public let path: String
    public let layout = StoreLayout.onnx
    public let tensors: [StoredTensor]
    public let layerGroups: [LayerGroup]? = nil
    public let metadata: [String: String]
    public let unlistedNames: [String]
    public let fileSize: Int

    /// Where a presented tensor's bytes come from.
    enum Source: Sendable {
        /// `range` of mapped file `file` (0 = the model, then external data files).
        case mapped(file: Int, range: Range<Int>)
        /// Bytes held in memory (typed-field data, a synthesized zero bias).
        case owned([UInt8])
    }

    struct Entry: Sendable {
        var source: Source
        /// The stored shape (before slicing and transposing back).
        var storedShape: [Int]
        var transposed: Bool
        /// A part of a packed initializer: columns of a matrix, or elements of a vector.
        var part: Range<Int>? = nil

        /// The shape presented: the part taken, then transposed.
        var shape: [Int] {
            var shape = storedShape
            if let part { shape[shape.count - 1] = part.count }
            return transposed ? shape.reversed() : shape
        }
    }

    private let files: [MappedFile]
    private let entries: [String: Entry]

    public init(path: String) throws(TensorFormatError) {
        self.path = path
        let model = try MappedFile(path: path)
        var files = [model]
        let parsed = try Parser(path: path, bytes: model.bytes).model()
        let folder = FilePath.directory(of: path)

        // Initializers: validated, their bytes located.
        var sources: [String: (tensor: Parser.Tensor, entry: Entry)] = [:]
        var order: [String] = []
        var externalFiles: [String: Int] = [:]
        for tensor in parsed.initializers {
            guard sources[tensor.name] == nil else { throw .duplicateTensor(path: path, tensor: tensor.name) }
            guard let byteCount = checkedByteCount(shape: tensor.dims, elementSize: tensor.dtype.size) else {
                throw .invalidShape(path: path, tensor: tensor.name)
            }
            let source: Source
            switch tensor.data {
            case let .raw(range):
                guard range.count == byteCount else {
                    throw .sizeMismatch(path: path, tensor: tensor.name, expected: byteCount, actual: range.count)
                }
                source = .mapped(file: 0, range: range)
            case let .owned(bytes):
                guard bytes.count == byteCount else {
                    throw .sizeMismatch(path: path, tensor: tensor.name, expected: byteCount, actual: bytes.count)
                }
                source = .owned(bytes)
            case let .external(location, offset, length):
                if let length, length != byteCount {
                    throw .invalidTensorData(path: path, tensor: tensor.name, reason: "its external data length \(length) is not the \(byteCount) bytes its dims and type need")
                }
                let index: Int
                if let known = externalFiles[location] {
                    index = known
                } else {
                    let dataPath = try Self.externalDataPath(location, folder: folder, model: path, tensor: tensor.name)
                    files.append(try MappedFile(path: dataPath))
                    index = files.count - 1
                    externalFiles[location] = index
                }
                let size = files[index].count
                guard offset <= size, byteCount <= size - offset else {
                    throw .invalidTensorData(path: path, tensor: tensor.name, reason: "its external data (offset \(offset), \(byteCount) bytes) runs past the end of '\(location)' (\(size) bytes)")
                }
                source = .mapped(file: index, range: offset..<(offset + byteCount))
            }
            sources[tensor.name] = (tensor, Entry(source: source, storedShape: tensor.dims, transposed: false))
            order.append(tensor.name)
        }

        // Names: each initializer under its own name when it is a state-dict name, and under the name of each module
        // that consumes it; the first claim on a name wins.
        var tensors: [StoredTensor] = []
        var entries: [String: Entry] = [:]
        var used = Set<String>()
        func present(_ name: String, _ entry: Entry, dtype: DType) {
            guard entries[name] == nil else { return }
            entries[name] = entry
            tensors.append(StoredTensor(name: name, dtype: dtype, shape: entry.shape))
        }
        func present(_ name: String, _ initializer: String, transposed: Bool, part: Range<Int>? = nil) {
            guard let source = sources[initializer], entries[name] == nil else { return }
            var entry = source.entry
            entry.transposed = transposed
            entry.part = part
            present(name, entry, dtype: source.tensor.dtype)
            used.insert(initializer)
        }
        for name in order where Self.isStateDictName(name) { present(name, name, transposed: false) }
        var zeroBiases: [(name: String, like: DType, count: Int)] = []
        for node in parsed.nodes {
            if node.opType == "Identity", node.inputs.count == 1, let output = node.outputs.first, Self.isStateDictName(output) {
                present(output, node.inputs[0], transposed: false)
            }
            guard let scope = node.scope, !scope.isEmpty else { continue }
            for (index, input) in node.inputs.enumerated() {
                guard let dims = sources[input]?.tensor.dims else { continue }
                switch (node.opType, index) {
                case ("Gather", 0), ("LayerNormalization", 1):
                    present(scope + ".weight", input, transposed: false)
                case ("LayerNormalization", 2), ("Add", _):
                    present(scope + ".bias", input, transposed: false)
                case ("MatMul", 1) where dims.count == 2:
                    present(scope + ".weight", input, transposed: true)
                case ("Gemm", 1) where dims.count == 2:
                    present(scope + ".weight", input, transposed: !node.transB)
                case ("Gemm", 2):
                    present(scope + ".bias", input, transposed: false)
                case ("Attention", 1) where dims.count == 2 && node.domain == "com.microsoft",
                     ("Attention", 2) where dims.count == 1 && node.domain == "com.microsoft":
                    // Q, K and V packed side by side: [hidden, 3·hidden] holds the three transposed kernels, [3·hidden]
                    // the three biases.
                    let width = dims[dims.count - 1] / 3
                    for (i, projection) in ["query", "key", "value"].enumerated() {
                        present("\(scope).\(projection).\(index == 1 ? "weight" : "bias")", input, transposed: index == 1,
                                part: (i * width)..<((i + 1) * width))
                    }
                default:
                    break
                }
            }
            if node.opType == "Gemm", node.inputs.count == 2, let weight = sources[node.inputs[1]]?.tensor, weight.dims.count == 2 {
                zeroBiases.append((scope + ".bias", weight.dtype, node.transB ? weight.dims[0] : weight.dims[1]))
            }
        }
        // A Gemm whose all-zero bias the exporter dropped: the bias it had.
        for bias in zeroBiases {
            present(bias.name, Entry(source: .owned([UInt8](repeating: 0, count: bias.count * bias.like.size)), storedShape: [bias.count], transposed: false),
                    dtype: bias.like)
        }
        unlistedNames = order.filter { !used.contains($0) }
        self.tensors = tensors
        self.entries = entries
        self.files = files
        fileSize = files.reduce(0) { $0 + $1.count }
        metadata = parsed.metadata
    }

    /// Whether an initializer's own name is a PyTorch state-dict name (`bert.pooler.dense.weight`), not one an
    /// exporter generated (`onnx::MatMul_12`, `val_98`, `clone_1`).
    static func isStateDictName(_ name: String) -> Bool {
        !name.contains("::") && name.contains(".") && !name.hasPrefix(".") && !name.hasSuffix(".")
    }

    /// The path of external data `location`, refused unless it stays inside the model's folder through no symbolic
    /// link and names a regular file (onnx/onnx `docs/ExternalDataSecurity.md`; onnxruntime refuses the same).
    static func externalDataPath(_ location: String, folder: String, model: String, tensor: String) throws(TensorFormatError) -> String {
        func refuse(_ reason: String) -> TensorFormatError {
            .invalidTensorData(path: model, tensor: tensor, reason: "its external data location '\(location)' \(reason); refused")
        }
        guard !location.isEmpty else { throw refuse("is empty") }
        guard !location.hasPrefix("/") else { throw refuse("is an absolute path") }
        guard !location.utf8.contains(0) else { throw refuse("holds a NUL byte") }
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else { throw refuse("leaves the model's folder ('..')") }
        var current = folder
        for (index, component) in components.enumerated() where component != "." {
            current = FilePath.join(current, String(component))
            var info = stat()
            guard lstat(current, &info) == 0 else { throw refuse("does not exist") }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFLNK { throw refuse("passes through a symbolic link ('\(component)')") }
            if index < components.count - 1 {
                guard kind == S_IFDIR else { throw refuse("is not inside a folder") }
            } else {
                guard kind == S_IFREG else { throw refuse("is not a regular file") }
                guard info.st_nlink <= 1 else { throw refuse("is a file with \(info.st_nlink) hard links") }
            }
        }
        if let real = FilePath.realPath(current), let base = FilePath.realPath(folder), !real.hasPrefix(base == "/" ? "/" : base + "/") {
            throw refuse("resolves outside the model's folder")
        }
        return current
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let entry = entries[tensor.name] else {
            throw TensorFormatError.shardMismatch(path: path, tensor: tensor.name, reason: "is not in this file")
        }
        return try withStoredBytes(entry) { stored in
            let size = tensor.dtype.size
            var bytes = stored
            var shape = entry.storedShape
            var sliced: UnsafeMutableRawBufferPointer?
            defer { sliced?.deallocate() }
            if let part = entry.part {
                if shape.count == 1 {
                    bytes = UnsafeRawBufferPointer(rebasing: stored[(part.lowerBound * size)..<(part.upperBound * size)])
                } else if shape.count == 2 {
                    // Columns `part` of each row, gathered into a [rows, part.count] matrix.
                    let rows = shape[0], columns = shape[1]
                    let gathered = UnsafeMutableRawBufferPointer.allocate(byteCount: max(rows * part.count * size, 1), alignment: 16)
                    for row in 0..<rows {
                        let from = (row * columns + part.lowerBound) * size
                        gathered.baseAddress!.advanced(by: row * part.count * size)
                            .copyMemory(from: stored.baseAddress!.advanced(by: from), byteCount: part.count * size)
                    }
                    sliced = gathered
                    bytes = UnsafeRawBufferPointer(rebasing: gathered[0..<(rows * part.count * size)])
                    shape = [rows, part.count]
                }
            }
            guard entry.transposed, shape.count == 2 else { return try body(bytes) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
            defer { buffer.deallocate() }
            transformTensor(bytes, from: tensor.dtype, shape: shape, layout: .permute([1, 0]), to: tensor.dtype, into: buffer)
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
        }
    }

    private func withStoredBytes<R>(_ entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch entry.source {
        case let .mapped(file, range):
            return try body(UnsafeRawBufferPointer(rebasing: files[file].bytes[range]))
        case let .owned(bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    public func hasStableView(of tensor: StoredTensor) -> Bool {
        guard let entry = entries[tensor.name], !entry.transposed, entry.part == nil, case .mapped = entry.source else { return false }
        return true
    }

    public func discardPages(of tensor: StoredTensor) {
        if let entry = entries[tensor.name], case let .mapped(file, range) = entry.source { files[file].discardPages(range) }
    }
}

/// The ONNX format: a protobuf ModelProto, recognised by its first field (ir_version, tag 0x08) and the
/// ModelProto fields that follow.
public struct ONNXFormat: CheckpointFormat {
    public init() {}
    public var name: String { "ONNX" }

    public func recognizes(prefix: UnsafeRawBufferPointer, fileSize: Int) -> Bool {
        // ir_version (field 1, varint) comes first in every ModelProto writer (onnx.save, torch, onnxruntime's
        // tools); no other format bertinspect reads starts with byte 0x08.
        prefix.count >= 2 && prefix[0] == 0x08
    }

    public func open(path: String) throws -> any TensorStore { try ONNXFile(path: path) }
}
