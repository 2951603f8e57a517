/// A nonlinearity applied element by element.
public enum Activation: String, Sendable, Hashable {
    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (transformers' `"gelu"`, TF's `gelu(approximate=False)`).
    case gelu
    /// Tanh-approximate GELU, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (transformers' `"gelu_new"` and
    /// `"gelu_pytorch_tanh"`, TF's `gelu(approximate=True)`, the TensorFlow Model Garden's BERT `"gelu"`).
    case geluTanh
    case relu
    case tanh
    case sigmoid
}

/// One operand of a matrix product: a row-major matrix inside a buffer, read transposed or not.
///
/// `leadingDimension` is the distance between rows as stored; `batchStride` the distance between the matrices of a
/// batched product (unused when the batch count is 1).
public struct MatrixOperand<Buffer: Sendable>: Sendable {
    /// The buffer holding the matrix.
    public var buffer: Buffer
    /// Element index of the first value.
    public var offset: Int
    /// Elements between the starts of consecutive stored rows (BLAS `lda`).
    public var leadingDimension: Int
    /// Whether the product reads the stored matrix transposed.
    public var transposed: Bool
    /// Elements between consecutive matrices of a batched product.
    public var batchStride: Int

    /// An operand starting at `offset` of `buffer`.
    public init(_ buffer: Buffer, offset: Int = 0, leadingDimension: Int, transposed: Bool = false, batchStride: Int = 0) {
        self.buffer = buffer
        self.offset = offset
        self.leadingDimension = leadingDimension
        self.transposed = transposed
        self.batchStride = batchStride
    }
}

/// Float values in host memory that stay valid while `owner` lives (a mapped checkpoint or an owned allocation).
public struct HostFloats: @unchecked Sendable {
    /// The first value.
    public let base: UnsafePointer<Float>
    /// Number of values.
    public let count: Int
    /// Keeps the memory alive; never mutated through this value.
    public let owner: AnyObject

    /// Values at `base` that `owner` keeps valid.
    public init(base: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }
}

/// The operations a BERT forward pass needs, on row-major float32 buffers the backend owns.
///
/// The forward pass is written once against this protocol; a backend decides where buffers live (host memory,
/// a GPU) and how each operation runs. Every buffer is float32; offsets and counts are in elements. Operations
/// run in the order they are called, and `read` returns once every earlier operation has finished.
public protocol ComputeBackend: Sendable {
    associatedtype Buffer: Sendable

    /// A short name for messages and benchmarks (`CPU (OpenBLAS Haswell)`).
    var name: String { get }

    /// A buffer of `count` elements with unspecified contents.
    func makeBuffer(count: Int) throws -> Buffer
    /// A buffer holding a copy of `values`.
    func makeBuffer(copying values: [Float]) throws -> Buffer
    /// A read-only buffer with a weight's values; a host backend may use the memory in place (keeping `owner` alive).
    func makeWeightBuffer(_ values: HostFloats) throws -> Buffer
    /// Elements `offset..<offset+count` of `buffer`, copied to the host.
    func read(_ buffer: Buffer, offset: Int, count: Int) throws -> [Float]

    /// `C = alpha·op(A)·op(B) + beta·C` for `batchCount` matrices, where op(A) is `m×k`, op(B) is `k×n`, C is `m×n`.
    ///
    /// Mirrors BLAS `sgemm` (row-major); a batched call is `cublasSgemmStridedBatched`'s contract.
    func matrixMultiply(m: Int, n: Int, k: Int, alpha: Float, _ a: MatrixOperand<Buffer>, _ b: MatrixOperand<Buffer>,
                        beta: Float, into c: MatrixOperand<Buffer>, batchCount: Int) throws
    /// `x[offset + r·columns + c] += bias[c]` for a `rows×columns` matrix starting at element `offset`.
    func addBias(_ x: Buffer, offset: Int, rows: Int, columns: Int, bias: Buffer) throws
    /// Applies `activation` to `count` elements from `offset`.
    func activate(_ x: Buffer, offset: Int, count: Int, _ activation: Activation) throws
    /// `output = LayerNorm(x + residual)` over each row of `columns` (biased variance, as torch and Keras compute it).
    ///
    /// `output` may be the same buffer as `x` or `residual`.
    func layerNorm(_ x: Buffer, residual: Buffer?, rows: Int, columns: Int, gamma: Buffer, beta: Buffer, epsilon: Float,
                   into output: Buffer) throws
    /// Softmax over the last axis of `scores` `[batch, heads, queries, keys]` after adding `additiveMask[batch, keys]`.
    ///
    /// Subtracts each row's maximum first; a row whose entries all equal the mask constant becomes uniform, as in torch.
    func maskedSoftmax(_ scores: Buffer, batch: Int, heads: Int, queries: Int, keys: Int, additiveMask: Buffer) throws
    /// `output[i, :] (+)= table[rows[i], :]` for row width `width`; with `accumulate` the rows are added.
    func gatherRows(_ table: Buffer, width: Int, rows: [Int32], into output: Buffer, accumulate: Bool) throws
    /// Copies every window of `width` consecutive time steps of `x` `[batch, time, channels]` into one row of
    /// `output` `[batch·(time−width+1), width·channels]`.
    ///
    /// Row layout is time-major (`j·channels + c`, matching a Keras Conv1D kernel `[width, in, out]`) or, with
    /// `channelMajor`, `c·width + j` (matching a PyTorch Conv1d weight `[out, in, width]`).
    func unfoldWindows(_ x: Buffer, batch: Int, time: Int, channels: Int, width: Int, channelMajor: Bool,
                       into output: Buffer) throws
    /// `output[b, outputOffset + c] = max over t of x[b, t, c]` for `x` `[batch, time, channels]`, rows of
    /// `output` `outputStride` apart (so several poolings fill one concatenated row).
    func maxPoolOverTime(_ x: Buffer, batch: Int, time: Int, channels: Int, into output: Buffer, outputOffset: Int,
                         outputStride: Int) throws
}
