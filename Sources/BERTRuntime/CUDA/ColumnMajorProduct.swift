/// A row-major product `C = α·op(A)·op(B) + β·C` restated as the column-major call cuBLAS takes.
///
/// A row-major matrix read column-major is its transpose, so cuBLAS is asked for `Cᵀ = op(B)ᵀ·op(A)ᵀ`: the operands
/// swap places, `m` and `n` swap, and each operand keeps its own transpose flag, leading dimension and batch stride.
/// The result is the row-major `C` with no copy.
struct ColumnMajorProduct: Equatable {
    /// One operand of the cuBLAS call: whether it is read transposed, where it starts (elements), its leading
    /// dimension and the distance between batched matrices.
    struct Operand: Equatable {
        var transposed: Bool
        var offset: Int
        var leadingDimension: Int32
        var batchStride: Int64
    }

    /// Rows of the column-major result (the row-major product's `n`).
    var m: Int32
    /// Columns of the column-major result (the row-major product's `m`).
    var n: Int32
    /// The shared dimension.
    var k: Int32
    /// cuBLAS' `A`: the row-major `B`.
    var first: Operand
    /// cuBLAS' `B`: the row-major `A`.
    var second: Operand
    /// cuBLAS' `C`, the row-major `C`.
    var result: Operand
    var batchCount: Int32

    /// The call computing the row-major product of `a` (op(A) `m×k`) and `b` (op(B) `k×n`) into `c` (`m×n`).
    ///
    /// Throws `unsupported` when a dimension exceeds cuBLAS' 32-bit sizes.
    init<Buffer>(m: Int, n: Int, k: Int, a: MatrixOperand<Buffer>, b: MatrixOperand<Buffer>, c: MatrixOperand<Buffer>,
                 batchCount: Int) throws(RuntimeError) {
        precondition(!c.transposed, "the product is written untransposed")
        func operand(_ x: MatrixOperand<Buffer>) throws(RuntimeError) -> Operand {
            Operand(transposed: x.transposed, offset: x.offset, leadingDimension: try narrow(x.leadingDimension),
                    batchStride: Int64(x.batchStride))
        }
        self.m = try narrow(n)
        self.n = try narrow(m)
        self.k = try narrow(k)
        first = try operand(b)
        second = try operand(a)
        result = try operand(c)
        self.batchCount = try narrow(batchCount)
    }
}

/// `value` as a 32-bit size for cuBLAS or a kernel argument.
func narrow(_ value: Int) throws(RuntimeError) -> Int32 {
    guard let narrowed = Int32(exactly: value) else {
        throw .unsupported(reason: "a size of \(value) exceeds the 32-bit sizes the CUDA backend passes to cuBLAS and its kernels")
    }
    return narrowed
}
