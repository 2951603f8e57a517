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
        for index in 0..<batchCount {
            cblas_sgemm(
                CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a.buffer.base + a.offset + index * a.batchStride, blasint(a.leadingDimension),
                b.buffer.base + b.offset + index * b.batchStride, blasint(b.leadingDimension), beta,
                c.buffer.writable + c.offset + index * c.batchStride, blasint(c.leadingDimension))
        }
    }

    public func addBias(_ x: CPUBuffer, rows: Int, columns: Int, bias: CPUBuffer) throws {
        let b = bias.base
        for row in 0..<rows {
            let p = x.writable + row * columns
            for column in 0..<columns { p[column] += b[column] }
        }
    }

    public func activate(_ x: CPUBuffer, offset: Int, count: Int, _ activation: Activation) throws {
        let p = x.writable + offset
        switch activation {
        case .gelu:
            VectorMath.gelu(p, count: count)
        case .relu:
            for i in 0..<count where !(p[i] > 0) { p[i] = 0 }
        case .tanh:
            for i in 0..<count { p[i] = tanhf(p[i]) }
        case .sigmoid:
            for i in 0..<count { p[i] = 1 / (1 + expf(-p[i])) }
        }
    }

    public func layerNorm(_ x: CPUBuffer, residual: CPUBuffer?, rows: Int, columns: Int, gamma: CPUBuffer,
                          beta: CPUBuffer, epsilon: Float, into output: CPUBuffer) throws {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
        defer { row.deallocate() }
        let g = gamma.base, b = beta.base
        for r in 0..<rows {
            let input = x.base + r * columns
            if let residual {
                let add = residual.base + r * columns
                for c in 0..<columns { row[c] = input[c] + add[c] }
            } else {
                row.update(from: input, count: columns)
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
            let out = output.writable + r * columns
            for c in 0..<columns { out[c] = (row[c] - mean) * scale * g[c] + b[c] }
        }
    }

    public func maskedSoftmax(_ scores: CPUBuffer, batch: Int, heads: Int, queries: Int, keys: Int,
                              additiveMask: CPUBuffer) throws {
        for b in 0..<batch {
            let mask = additiveMask.base + b * keys
            for rowIndex in 0..<(heads * queries) {
                let row = scores.writable + (b * heads * queries + rowIndex) * keys
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
