/// A GGUF file to write (ggml-org/ggml `docs/gguf.md`, version 3): typed metadata key-value pairs, then tensor
/// infos in data order, then the tensors, each at an offset aligned to `alignment`, with no gaps (ggml's reader
/// requires offset i to equal the padded sizes of the tensors before it). Knows no model.
public struct GGUFModel: Sendable {
    /// A metadata value (gguf_type: UINT32 4, INT32 5, FLOAT32 6, BOOL 7, STRING 8, ARRAY 9, UINT64 10).
    public enum Value: Sendable {
        case uint32(UInt32)
        case int32(Int32)
        case float32(Float)
        case bool(Bool)
        case string(String)
        case uint64(UInt64)
        case strings([String])
        case int32s([Int32])
    }

    /// ggml_type of a tensor.
    public enum TensorType: UInt32, Sendable {
        case f32 = 0
        case f16 = 1
        case q8_0 = 8
        case bf16 = 30

        /// Elements per block and bytes per block.
        public var block: (elements: Int, bytes: Int) {
            switch self {
            case .f32: return (1, 4)
            case .f16, .bf16: return (1, 2)
            case .q8_0: return (32, 34)
            }
        }

        /// The element type values are rendered in before writing: the type itself, float32 for Q8_0's blocks.
        public var renderedType: DType {
            switch self {
            case .f32, .q8_0: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }

        /// Bytes of a tensor of `count` elements (a whole number of blocks).
        public func byteCount(_ count: Int) -> Int { count / block.elements * block.bytes }
    }

    public struct Tensor: Sendable {
        public var name: String
        public var type: TensorType
        /// Shape in PyTorch / NumPy order; written reversed, as ggml's `ne` (fastest axis first).
        public var shape: [Int]
        /// Where the values come from (rendered as float32 for Q8_0, in `type` otherwise).
        public var source: WritePlan.Entry

        public init(name: String, type: TensorType, shape: [Int], source: WritePlan.Entry) {
            self.name = name
            self.type = type
            self.shape = shape
            self.source = source
        }

        public var byteCount: Int { type.byteCount(shape.reduce(1, *)) }
    }

    public var metadata: [(String, Value)] = []
    public var tensors: [Tensor] = []
    public var alignment = 32

    public init() {}
}

/// Writes a `GGUFModel`, streaming each tensor through one reused buffer.
public struct GGUFWriter {
    private let progress: () -> Void

    public init(progress: @escaping () -> Void = {}) {
        self.progress = progress
    }

    /// Writes `model` with tensor values read from `store` to `file`; returns how many finite values overflowed to
    /// infinity when narrowing.
    public func write(_ model: GGUFModel, from store: any TensorStore, to file: AtomicFile) throws -> Int {
        var header = GGUFBytes()
        header.raw(Array("GGUF".utf8))
        header.u32(3)
        header.u64(UInt64(model.tensors.count))
        header.u64(UInt64(model.metadata.count))
        for (key, value) in model.metadata {
            header.string(key)
            header.value(value)
        }
        var offset = 0
        for tensor in model.tensors {
            header.string(tensor.name)
            header.u32(UInt32(tensor.shape.count))
            for dimension in tensor.shape.reversed() { header.u64(UInt64(dimension)) }
            header.u32(tensor.type.rawValue)
            header.u64(UInt64(offset))
            offset += Self.padded(tensor.byteCount, model.alignment)
        }
        header.raw([UInt8](repeating: 0, count: Self.padded(header.bytes.count, model.alignment) - header.bytes.count))
        try header.bytes.withUnsafeBytes { try file.write($0) }

        let entries = model.tensors.map { tensor in
            var entry = tensor.source
            entry.dtype = tensor.type.renderedType
            return entry
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(entries.map(\.streamBufferBytes).max() ?? 0, 1), alignment: 64)
        defer { buffer.deallocate() }
        var output: [UInt8] = []
        var overflows = 0
        for (tensor, entry) in zip(model.tensors, entries) {
            if tensor.type == .q8_0 {
                overflows += try entry.stream(from: store, buffer: buffer, granule: 32) { values in
                    output.removeAll(keepingCapacity: true)
                    Self.quantizeQ8_0(values, into: &output)
                    try output.withUnsafeBytes { try file.write($0) }
                }
            } else {
                overflows += try entry.stream(from: store, buffer: buffer) { try file.write($0) }
            }
            let padding = Self.padded(tensor.byteCount, model.alignment) - tensor.byteCount
            if padding > 0 { try [UInt8](repeating: 0, count: padding).withUnsafeBytes { try file.write($0) } }
            progress()
        }
        return overflows
    }

    static func padded(_ size: Int, _ alignment: Int) -> Int {
        (size + alignment - 1) / alignment * alignment
    }

    /// Q8_0 as ggml's `quantize_row_q8_0_ref` defines it: per block of 32 values, `d = max|x| / 127` (stored as
    /// float16) and `q = round(x · (1/d))`, rounding half away from zero (`q = 0` when `d = 0`).
    static func quantizeQ8_0(_ values: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        let floats = values.bindMemory(to: Float.self)
        output.reserveCapacity(floats.count / 32 * 34)
        var block = 0
        while block + 32 <= floats.count {
            var maximum: Float = 0
            for i in block..<(block + 32) { maximum = max(maximum, abs(floats[i])) }
            let d = maximum / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            let half = floatToHalf(d)
            output.append(UInt8(half & 0xFF))
            output.append(UInt8(half >> 8))
            for i in block..<(block + 32) {
                let q = Int8(clamping: Int((floats[i] * inverse).rounded(.toNearestOrAwayFromZero)))
                output.append(UInt8(bitPattern: q))
            }
            block += 32
        }
    }
}

/// Little-endian GGUF encoding of header fields.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func raw(_ values: [UInt8]) { bytes.append(contentsOf: values) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        u64(UInt64(utf8.count))
        raw(utf8)
    }

    mutating func value(_ value: GGUFModel.Value) {
        switch value {
        case let .uint32(v):
            u32(4)
            u32(v)
        case let .int32(v):
            u32(5)
            u32(UInt32(bitPattern: v))
        case let .float32(v):
            u32(6)
            u32(v.bitPattern)
        case let .bool(v):
            u32(7)
            raw([v ? 1 : 0])
        case let .string(v):
            u32(8)
            string(v)
        case let .uint64(v):
            u32(10)
            u64(v)
        case let .strings(values):
            u32(9)
            u32(8)
            u64(UInt64(values.count))
            for v in values { string(v) }
        case let .int32s(values):
            u32(9)
            u32(5)
            u64(UInt64(values.count))
            for v in values { u32(UInt32(bitPattern: v)) }
        }
    }
}
