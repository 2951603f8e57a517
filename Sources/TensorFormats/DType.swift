/// An element type of a stored tensor, named as the safetensors specification names it.
public enum DType: String, Sendable, CaseIterable, Hashable, Codable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"
    case f8e8m0 = "F8_E8M0"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .f8e4m3, .f8e5m2, .f8e8m0, .i8, .u8, .bool: return 1
        }
    }

    /// Whether the type holds floating-point values (weights); integer and boolean tensors are buffers.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2, .f8e8m0: return true
        default: return false
        }
    }

    /// The lower-case spelling used in command-line options and summaries (`f32`, `bf16`).
    public var shortName: String { rawValue.lowercased() }
}
