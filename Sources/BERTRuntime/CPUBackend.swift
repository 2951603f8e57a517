import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 values in host memory: owned (freed with the buffer, writable) or borrowed read-only from a weight that
/// `owner` keeps alive (a mapped checkpoint is PROT_READ: it is never cast to writable memory).
///
/// Unchecked `Sendable`: a buffer is written only by the one forward pass that created it, and weight buffers cannot
/// be written at all.
public final class CPUBuffer: @unchecked Sendable {
    /// The first value, for reading.
    public let base: UnsafePointer<Float>
    /// Number of values.
    public let count: Int
    private let owned: UnsafeMutablePointer<Float>?
    private let owner: AnyObject?

    init(count: Int) {
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        owned = memory
        base = UnsafePointer(memory)
        self.count = count
        owner = nil
    }

    init(borrowing values: HostFloats) {
        base = values.base
        owned = nil
        count = values.count
        owner = values.owner
    }

    /// The first value, for writing: only buffers the backend allocated have one; writing a weight is a bug that
    /// stops here rather than faulting on a read-only page.
    var writable: UnsafeMutablePointer<Float> {
        guard let owned else { preconditionFailure("a weight buffer is read-only") }
        return owned
    }

    deinit {
        owned?.deallocate()
    }
}

/// The compute backend on the host CPU: matrix products through OpenBLAS `cblas_sgemm`, elementwise operations in
/// plain Swift loops.
///
/// Weights are used in place: a stored layout that differs from PyTorch's is read through the transpose flag,
/// never copied.
public struct CPUBackend: ComputeBackend {
    public typealias Buffer = CPUBuffer

    /// The CPU backend; OpenBLAS' thread count is process-wide (`setThreadCount(_:)`). OpenBLAS is opened here
    /// (dlopen, on first use), and a missing library is an error that says so.
    public init() throws(RuntimeError) {
        guard bertinspect_openblas_available() != 0 else {
            throw .backend(name: "CPU", reason: "OpenBLAS (libopenblas.so.0, Debian's libopenblas0) could not be loaded: \(String(cString: bertinspect_openblas_failure()))")
        }
    }

    /// `CPU (OpenBLAS <kernel>)`.
    public var name: String { "CPU (OpenBLAS \(openBLASCoreName()))" }

    public func makeBuffer(count: Int) throws -> CPUBuffer { CPUBuffer(count: count) }

    public func makeBuffer(copying values: [Float]) throws -> CPUBuffer {
        let buffer = CPUBuffer(count: values.count)
        values.withUnsafeBufferPointer { buffer.writable.update(from: $0.baseAddress!, count: values.count) }
        return buffer
    }

    public func makeWeightBuffer(_ values: HostFloats) throws -> CPUBuffer { CPUBuffer(borrowing: values) }

    public func read(_ buffer: CPUBuffer, offset: Int, count: Int) throws -> [Float] {
        precondition(offset >= 0 && offset + count <= buffer.count, "read outside the buffer")
        return Array(UnsafeBufferPointer(start: buffer.base + offset, count: count))
    }

    public func matrixMultiply(m: Int, n: Int, k: Int, alpha: Float, _ a: MatrixOperand<CPUBuffer>,
                               _ b: MatrixOperand<CPUBuffer>, beta: Float, into c: MatrixOperand<CPUBuffer>,
                               batchCount: Int) throws {
        precondition(!c.transposed, "the product is written untransposed")
        let cBase = c.buffer.writable
        func product(_ index: Int) {
            cblas_sgemm(
                CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a.buffer.base + a.offset + index * a.batchStride, blasint(a.leadingDimension),
                b.buffer.base + b.offset + index * b.batchStride, blasint(b.leadingDimension), beta,
                cBase + c.offset + index * c.batchStride, blasint(c.leadingDimension))
        }
        // A batch of products (the attention heads) runs one after the other, each on OpenBLAS' own threads. Calling
        // OpenBLAS from several threads of ours at once (one head per thread) was no faster (bench, bert-base), and
        // Debian's OpenBLAS 0.3.21 can then hang for good inside its buffer allocator (blas_memory_alloc), as a CI run
        // did: OpenBLAS is only ever entered from one thread.
        for index in 0..<batchCount { product(index) }
    }

    public func addBias(_ x: CPUBuffer, offset: Int, rows: Int, columns: Int, bias: CPUBuffer) throws {
        precondition(offset >= 0 && offset + rows * columns <= x.count, "bias added outside the buffer")
        let b = bias.base, base = x.writable + offset
        parallelFor(rows, workers: Self.workers(rows * columns)) { begin, end in
            for row in begin..<end {
                let p = base + row * columns
                for column in 0..<columns { p[column] += b[column] }
            }
        }
    }

    public func activate(_ x: CPUBuffer, offset: Int, count: Int, _ activation: Activation) throws {
        let p = x.writable + offset
        // Pieces of whole SIMD groups, so each worker runs the vector loop.
        let groups = (count + 7) / 8
        parallelFor(groups, workers: Self.workers(count)) { begin, end in
            let start = begin * 8, length = min(end * 8, count) - start
            let q = p + start
            switch activation {
            case .gelu:
                VectorMath.gelu(q, count: length)
            case .geluTanh:
                VectorMath.geluTanh(q, count: length)
            case .relu:
                for i in 0..<length where !(q[i] > 0) { q[i] = 0 }
            case .tanh:
                for i in 0..<length { q[i] = tanhf(q[i]) }
            case .sigmoid:
                for i in 0..<length { q[i] = 1 / (1 + expf(-q[i])) }
            }
        }
    }

    public func layerNorm(_ x: CPUBuffer, residual: CPUBuffer?, rows: Int, columns: Int, gamma: CPUBuffer,
                          beta: CPUBuffer, epsilon: Float, into output: CPUBuffer) throws {
        let g = gamma.base, b = beta.base, input = x.base, add = residual?.base, target = output.writable
        parallelFor(rows, workers: Self.workers(rows * columns)) { begin, end in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
            defer { row.deallocate() }
            for r in begin..<end {
                let source = input + r * columns
                if let add {
                    let other = add + r * columns
                    for c in 0..<columns { row[c] = source[c] + other[c] }
                } else {
                    row.update(from: source, count: columns)
                }
                var sum: Float = 0
                for c in 0..<columns { sum += row[c] }
                let mean = sum / Float(columns)
                var squares: Float = 0
                for c in 0..<columns {
                    let d = row[c] - mean
                    squares += d * d
                }
                let scale = 1 / (squares / Float(columns) + epsilon).squareRoot()
                let out = target + r * columns
                for c in 0..<columns { out[c] = (row[c] - mean) * scale * g[c] + b[c] }
            }
        }
    }

    public func maskedSoftmax(_ scores: CPUBuffer, batch: Int, heads: Int, queries: Int, keys: Int,
                              additiveMask: CPUBuffer) throws {
        let base = scores.writable, masks = additiveMask.base
        let rowsPerSequence = heads * queries
        parallelFor(batch * rowsPerSequence, workers: Self.workers(batch * rowsPerSequence * keys)) { begin, end in
            for index in begin..<end {
                let mask = masks + (index / rowsPerSequence) * keys
                let row = base + index * keys
                var maximum = -Float.infinity
                for k in 0..<keys {
                    row[k] += mask[k]
                    maximum = max(maximum, row[k])
                }
                let inverse = 1 / VectorMath.exponentiate(row, count: keys, shift: maximum)
                for k in 0..<keys { row[k] *= inverse }
            }
        }
    }

    /// Workers for an elementwise pass over `elements` values: OpenBLAS' thread count (`--threads`), or one when the
    /// pass is too small to be worth a thread (starting one costs about as much as 30,000 additions).
    static func workers(_ elements: Int) -> Int {
        elements >= 65_536 ? threadCount() : 1
    }

    public func gatherRows(_ table: CPUBuffer, width: Int, rows: [Int32], into output: CPUBuffer, accumulate: Bool) throws {
        for (i, row) in rows.enumerated() {
            let source = table.base + Int(row) * width
            let target = output.writable + i * width
            if accumulate {
                for c in 0..<width { target[c] += source[c] }
            } else {
                target.update(from: source, count: width)
            }
        }
    }

    public func unfoldWindows(_ x: CPUBuffer, batch: Int, time: Int, channels: Int, width: Int, channelMajor: Bool,
                              into output: CPUBuffer) throws {
        let windows = time - width + 1
        let rowWidth = width * channels
        for b in 0..<batch {
            for t in 0..<windows {
                let source = x.base + (b * time + t) * channels
                let target = output.writable + (b * windows + t) * rowWidth
                if channelMajor {
                    for j in 0..<width {
                        for c in 0..<channels { target[c * width + j] = source[j * channels + c] }
                    }
                } else {
                    target.update(from: source, count: rowWidth)
                }
            }
        }
    }

    public func maxPoolOverTime(_ x: CPUBuffer, batch: Int, time: Int, channels: Int, into output: CPUBuffer,
                                outputOffset: Int, outputStride: Int) throws {
        for b in 0..<batch {
            let target = output.writable + b * outputStride + outputOffset
            for c in 0..<channels { target[c] = -Float.infinity }
            for t in 0..<time {
                let source = x.base + (b * time + t) * channels
                for c in 0..<channels { target[c] = max(target[c], source[c]) }
            }
        }
    }
}

/// Runs `body` on contiguous pieces of `0..<count`, one per worker, in parallel threads; returns when all are done.
func parallelFor(_ count: Int, workers: Int, _ body: (Int, Int) -> Void) {
    guard workers > 1, count > 1 else {
        body(0, count)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let job = RangeJob(escapable)
        withExtendedLifetime(job) {
            bertinspect_parallel_for(count, Int32(clamping: workers), { context, begin, end in
                Unmanaged<RangeJob>.fromOpaque(context!).takeUnretainedValue().body(Int(begin), Int(end))
            }, Unmanaged.passUnretained(job).toOpaque())
        }
    }
}

/// The body of a `parallelFor`, handed to the C threads by pointer. Unchecked `Sendable`: each piece writes only its
/// own part of the output.
private final class RangeJob: @unchecked Sendable {
    let body: (Int, Int) -> Void
    init(_ body: @escaping (Int, Int) -> Void) { self.body = body }
}
