/// How a tensor's axes change between two layouts.
public enum LayoutChange: Sendable, Hashable {
    /// Same layout.
    case none
    /// Axis `i` of the output is axis `order[i]` of the input (`[1, 0]` transposes a matrix).
    case permute([Int])
}

/// Converts and relays out one tensor: element type first (round to nearest even, NaN and Inf kept), then axes.
/// Returns how many finite values became infinite (an f16 overflow).
///
/// When the element type does not change, bytes are moved as they are, so f32 → f32 is bit-exact.
@discardableResult
public func transformTensor(
    _ source: UnsafeRawBufferPointer, from sourceType: DType, shape: [Int], layout: LayoutChange,
    to targetType: DType, into output: UnsafeMutableRawBufferPointer
) -> Int {
    let count = shape.reduce(1, *)
    precondition(output.count >= count * targetType.size)
    if sourceType == targetType {
        permute(source, elementSize: sourceType.size, shape: shape, layout: layout, into: output)
        return 0
    }
    // float32 sources are read in place; other types are widened first. Without a layout change the values go
    // straight into `output`.
    let floats: [Float]? = sourceType == .f32 ? nil : decodeFloats(source, dtype: sourceType)
    guard sourceType == .f32 || floats != nil else {
        // Not a floating-point type: nothing to convert (the loader binds only floating-point parameters).
        _ = output.initializeMemory(as: UInt8.self, repeating: 0)
        return 0
    }
    let keepsOrder: Bool
    if case let .permute(order) = layout { keepsOrder = order == Array(0..<order.count) } else { keepsOrder = true }
    let converted = keepsOrder ? output : UnsafeMutableRawBufferPointer.allocate(byteCount: max(count * targetType.size, 1), alignment: 16)
    defer { if !keepsOrder { converted.deallocate() } }
    var overflows = 0
    for i in 0..<count {
        let value = floats?[i] ?? Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
        switch targetType {
        case .f32: converted.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
        case .f64: converted.storeBytes(of: Double(value).bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
        case .f16:
            let half = floatToHalf(value)
            if value.isFinite, half & 0x7FFF == 0x7C00 { overflows += 1 }
            converted.storeBytes(of: half.littleEndian, toByteOffset: i * 2, as: UInt16.self)
        case .bf16:
            let brain = floatToBFloat16(value)
            if value.isFinite, brain & 0x7FFF == 0x7F80 { overflows += 1 }
            converted.storeBytes(of: brain.littleEndian, toByteOffset: i * 2, as: UInt16.self)
        default: preconditionFailure("conversion to \(targetType) is not offered")
        }
    }
    if !keepsOrder {
        permute(UnsafeRawBufferPointer(converted), elementSize: targetType.size, shape: shape, layout: layout, into: output)
    }
    return overflows
}

/// Moves elements of `elementSize` bytes from `shape` into the permuted layout.
func permute(_ source: UnsafeRawBufferPointer, elementSize: Int, shape: [Int], layout: LayoutChange, into output: UnsafeMutableRawBufferPointer) {
    let count = shape.reduce(1, *)
    guard case let .permute(order) = layout, count > 0, order != Array(0..<shape.count) else {
        output.baseAddress?.copyMemory(from: source.baseAddress!, byteCount: count * elementSize)
        return
    }
    var inputStrides = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
    let outputShape = order.map { shape[$0] }
    let strides = order.map { inputStrides[$0] }
    let src = source.baseAddress!, dst = output.baseAddress!
    if shape.count == 2, elementSize == 4 {
        transpose32(source, rows: outputShape[0], columns: outputShape[1], rowStride: strides[0], columnStride: strides[1], into: output)
        return
    }
    var index = [Int](repeating: 0, count: outputShape.count)
    for linear in 0..<count {
        var offset = 0
        for axis in 0..<index.count { offset += index[axis] * strides[axis] }
        (dst + linear * elementSize).copyMemory(from: src + offset * elementSize, byteCount: elementSize)
        var axis = index.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < outputShape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
}

/// A blocked 2-D transpose of 4-byte elements: 32 × 32 tiles keep both sides in cache; arithmetic is unchecked
/// because the caller validated the shape against the buffers.
private func transpose32(_ source: UnsafeRawBufferPointer, rows: Int, columns: Int, rowStride: Int, columnStride: Int,
                         into output: UnsafeMutableRawBufferPointer) {
    let dst = output.baseAddress!.assumingMemoryBound(to: UInt32.self)
    let block = 32
    let aligned = Int(bitPattern: source.baseAddress!) % 4 == 0
    let src = source.baseAddress!
    var r0 = 0
    while r0 < rows {
        let r1 = min(r0 &+ block, rows)
        var c0 = 0
        while c0 < columns {
            let c1 = min(c0 &+ block, columns)
            if aligned {
                let typed = src.assumingMemoryBound(to: UInt32.self)
                var r = r0
                while r < r1 {
                    let out = dst + r &* columns
                    let input = typed + r &* rowStride
                    var c = c0
                    while c < c1 {
                        out[c] = input[c &* columnStride]
                        c &+= 1
                    }
                    r &+= 1
                }
            } else {
                for r in r0..<r1 {
                    for c in c0..<c1 {
                        dst[r &* columns &+ c] = src.loadUnaligned(fromByteOffset: (r &* rowStride &+ c &* columnStride) &* 4, as: UInt32.self)
                    }
                }
            }
            c0 = c1
        }
        r0 = r1
    }
}

/// IEEE binary16 nearest to `value` (round to nearest even); NaN stays NaN, overflow becomes infinity.
public func floatToHalf(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    var mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 | UInt16(mantissa >> 13) : 0) }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
        if halfExponent < -10 { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - halfExponent)
        var half = mantissa >> shift
        let remainder = mantissa & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
}

/// bfloat16 nearest to `value` (round to nearest even); NaN stays NaN.
public func floatToBFloat16(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
}
