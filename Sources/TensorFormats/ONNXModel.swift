/// An ONNX model to write: a graph of nodes over named values, its initializers (each streamed from a source store
/// through a `WritePlan.Entry`, or small literal bytes), typed inputs and outputs, and the opsets it uses. Knows no
/// model architecture; field numbers are those of onnx/onnx `onnx.proto`.
public struct ONNXModel: Sendable {
    /// TensorProto.DataType.
    public enum ElementType: Int, Sendable {
        case float = 1
        case int32 = 6
        case int64 = 7
        case float16 = 10
        case bfloat16 = 16

        /// The ONNX element type of a stored dtype, if ONNX has one bertinspect writes.
        public init?(_ dtype: DType) {
            switch dtype {
            case .f32: self = .float
            case .f16: self = .float16
            case .bf16: self = .bfloat16
            case .i32: self = .int32
            case .i64: self = .int64
            default: return nil
            }
        }

        public var dtype: DType {
            switch self {
            case .float: return .f32
            case .int32: return .i32
            case .int64: return .i64
            case .float16: return .f16
            case .bfloat16: return .bf16
            }
        }
    }

    /// A dimension of a graph input or output: fixed, or named and free (`batch`, `sequence`).
    public enum Dimension: Sendable, Hashable {
        case value(Int)
        case parameter(String)
    }

    public struct ValueInfo: Sendable {
        public var name: String
        public var elementType: ElementType
        public var shape: [Dimension]

        public init(name: String, elementType: ElementType, shape: [Dimension]) {
            self.name = name
            self.elementType = elementType
            self.shape = shape
        }
    }

    /// A small constant tensor held in memory (node attributes, shape constants).
    public struct Literal: Sendable {
        public var elementType: ElementType
        public var dims: [Int]
        /// Little-endian element bytes.
        public var bytes: [UInt8]

        public init(elementType: ElementType, dims: [Int], bytes: [UInt8]) {
            self.elementType = elementType
            self.dims = dims
            self.bytes = bytes
        }

        public static func int64(_ values: [Int64], dims: [Int]? = nil) -> Literal {
            var bytes: [UInt8] = []
            for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
            return Literal(elementType: .int64, dims: dims ?? [values.count], bytes: bytes)
        }

        public static func float(_ values: [Float], dims: [Int]? = nil) -> Literal {
            var bytes: [UInt8] = []
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            return Literal(elementType: .float, dims: dims ?? [values.count], bytes: bytes)
        }
    }

    public enum AttributeValue: Sendable {
        case int(Int)
        case float(Float)
        case ints([Int])
        case string(String)
        case tensor(Literal)
    }

    public struct Node: Sendable {
        public var opType: String
        public var domain: String
        public var inputs: [String]
        public var outputs: [String]
        public var name: String
        public var attributes: [(String, AttributeValue)]

        public init(_ opType: String, domain: String = "", inputs: [String], outputs: [String], name: String = "",
                    attributes: [(String, AttributeValue)] = []) {
            self.opType = opType
            self.domain = domain
            self.inputs = inputs
            self.outputs = outputs
            self.name = name
            self.attributes = attributes
        }
    }

    /// A named initializer and where its bytes come from.
    public struct Initializer: Sendable {
        public enum Content: Sendable {
            /// Rendered from a source store (a model parameter).
            case entry(WritePlan.Entry)
            /// Held in memory.
            case literal(Literal)
            /// Several parameters joined into one tensor (a fused operator's packed weight): with `transposed`, each
            /// `[out, in]` weight is transposed to `[in, out]` and they are placed side by side (`[in, Σ out]`);
            /// without, vectors are joined end to end. All entries share one element type.
            case combined([WritePlan.Entry], transposed: Bool)
        }

        public var name: String
        public var content: Content

        public init(name: String, content: Content) {
            self.name = name
            self.content = content
        }

        public var elementType: ElementType {
            switch content {
            case let .entry(entry): return ElementType(entry.dtype) ?? .float
            case let .literal(literal): return literal.elementType
            case let .combined(entries, _): return entries.first.flatMap { ElementType($0.dtype) } ?? .float
            }
        }

        public var dims: [Int] {
            switch content {
            case let .entry(entry): return entry.shape
            case let .literal(literal): return literal.dims
            case let .combined(entries, transposed):
                if transposed { return [entries.first?.shape.last ?? 0, entries.reduce(0) { $0 + $1.shape[0] }] }
                return [entries.reduce(0) { $0 + $1.shape.reduce(1, *) }]
            }
        }

        /// Whether the initializer holds model parameters (written as external data when asked), not a constant.
        public var isParameter: Bool {
            if case .literal = content { return false }
            return true
        }

        public var byteCount: Int {
            switch content {
            case let .entry(entry): return entry.byteCount
            case let .literal(literal): return literal.bytes.count
            case let .combined(entries, _): return entries.reduce(0) { $0 + $1.byteCount }
            }
        }
    }

    public var irVersion: Int
    /// (domain, version); `""` is the default ai.onnx domain.
    public var opsets: [(String, Int)]
    public var producerName: String
    public var producerVersion: String
    public var graphName: String
    public var nodes: [Node] = []
    public var initializers: [Initializer] = []
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    /// ModelProto metadata_props.
    public var metadata: [(String, String)] = []

    public init(irVersion: Int, opsets: [(String, Int)], producerName: String, producerVersion: String, graphName: String) {
        self.irVersion = irVersion
        self.opsets = opsets
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.graphName = graphName
    }
}
