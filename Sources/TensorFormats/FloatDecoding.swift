/// Widens stored floating-point values to `Float` (f32, f64, f16, bf16; little-endian, any alignment).
///
/// Returns nil for integer, boolean and 8-bit float types.
public func decodeFloats(_ bytes: UnsafeRawBufferPointer, dtype: DType) -> [Float]? {
    switch dtype {
    case .f32:
        return (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    case .f64:
        return (0..<(bytes.count / 8)).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
    case .f16:
        return (0..<(bytes.count / 2)).map { halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
    case .bf16:
        return (0..<(bytes.count / 2)).map {
            Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16)
        }
    default:
        return nil
    }
}

/// The IEEE 754 binary16 value `bits` as a `Float` (exact: every half is a float).
public func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
}
