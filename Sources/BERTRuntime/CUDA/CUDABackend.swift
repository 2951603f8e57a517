/// Float32 values in device memory, freed (stream-ordered) with the buffer.
///
/// Unchecked `Sendable`: the address and count never change; the memory is written only by the operations of the
/// forward pass that created it, in the device's stream order.
public final class CUDABuffer: @unchecked Sendable {
    /// The device address of the first value.
    let address: CUDAAddress
    /// Number of values.
    public let count: Int
    private let device: CUDADevice

    init(device: CUDADevice, count: Int) throws(RuntimeError) {
        address = try device.allocate(byteCount: count * MemoryLayout<Float>.stride)
        self.count = count
        self.device = device
    }

    /// The device address of value `offset`.
    func address(at offset: Int) -> CUDAAddress {
        address + CUDAAddress(offset * MemoryLayout<Float>.stride)
    }

    deinit { device.free(address) }
}

/// The compute backend on an NVIDIA GPU: matrix products through cuBLAS (`cublasSgemm_v2`,
/// `cublasSgemmStridedBatched`), everything else through the kernels of `CUDAKernels`, all in FP32.
///
/// Nothing of CUDA is needed to build it: the driver, cuBLAS and NVRTC are opened with `dlopen` the first time a
/// backend is created (`LibrarySearch` says where), and the kernels are compiled then, once per process. Weights are
/// uploaded once, when a `ForwardPass` is made. cuBLAS computes FP32 products in FP32 unless `tf32` allows TF32
/// tensor cores (`CUBLAS_TF32_TENSOR_OP_MATH`), which round the inputs to a 10-bit mantissa.
public struct CUDABackend: ComputeBackend {
    public typealias Buffer = CUDABuffer

    private let device: CUDADevice
    private let blas: CUBLASHandle
    /// Whether matrix products may use TF32 tensor cores.
    public let tf32: Bool

    /// The backend on device 0; throws `cudaLibraryNotFound`, `cudaUnusable` or `cudaCall` saying why CUDA cannot run.
    public init(tf32: Bool = false) throws {
        device = try CUDADevice.shared.get()
        blas = try CUBLASHandle(device: device, tf32: tf32)
        self.tf32 = tf32
    }

    /// The GPU's name (`NVIDIA H100 80GB HBM3`).
    public var deviceName: String { device.name }

    /// `CUDA on <GPU>: compute 9.0, driver CUDA 12.8, cuBLAS 12.8.4, NVRTC 12.8 (compute_90), FP32 matrix products (TF32 off)`.
    public var name: String {
        "CUDA on \(device.name): compute \(device.computeCapability), driver CUDA \(device.driverVersion), cuBLAS \(device.cuBLAS.version), "
            + "NVRTC \(device.nvrtc.version) (compute_\(device.architecture)), "
            + (tf32 ? "TF32 tensor-core matrix products (--tf32)" : "FP32 matrix products (TF32 off)")
    }

    public func makeBuffer(count: Int) throws -> CUDABuffer {
        try CUDABuffer(device: device, count: count)
    }

    public func makeBuffer(copying values: [Float]) throws -> CUDABuffer {
        let buffer = try CUDABuffer(device: device, count: values.count)
        try values.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { try device.copy(base, to: buffer.address, byteCount: bytes.count) }
        }
        return buffer
    }

    public func makeWeightBuffer(_ values: HostFloats) throws -> CUDABuffer {
        let buffer = try CUDABuffer(device: device, count: values.count)
        try device.copy(values.base, to: buffer.address, byteCount: values.count * MemoryLayout<Float>.stride)
        return buffer
    }

    public func read(_ buffer: CUDABuffer, offset: Int, count: Int) throws -> [Float] {
        precondition(offset >= 0 && offset + count <= buffer.count, "read outside the buffer")
        guard count > 0 else { return [] }
        return try [Float](unsafeUninitializedCapacity: count) { values, initialized in
            try device.copy(from: buffer.address(at: offset), to: values.baseAddress!, byteCount: count * MemoryLayout<Float>.stride)
            initialized = count
        }
    }

    public func matrixMultiply(m: Int, n: Int, k: Int, alpha: Float, _ a: MatrixOperand<CUDABuffer>,
                               _ b: MatrixOperand<CUDABuffer>, beta: Float, into c: MatrixOperand<CUDABuffer>,
                               batchCount: Int) throws {
        let call = try ColumnMajorProduct(m: m, n: n, k: k, a: a, b: b, c: c, batchCount: batchCount)
        func pointer(_ operand: MatrixOperand<CUDABuffer>) -> UnsafeMutablePointer<Float>? {
            UnsafeMutablePointer(bitPattern: UInt(operand.buffer.address(at: operand.offset)))
        }
        let first = pointer(b), second = pointer(a), result = pointer(c)
        let firstOperation = call.first.transposed ? CUBLAS.transpose : CUBLAS.noTranspose
        let secondOperation = call.second.transposed ? CUBLAS.transpose : CUBLAS.noTranspose
        var alpha = alpha, beta = beta
        let cuBLAS = device.cuBLAS
        try device.makeCurrent()
        if batchCount == 1 {
            try cuBLAS.check(cuBLAS.sgemm(blas.handle, firstOperation, secondOperation, call.m, call.n, call.k, &alpha,
                                          first, call.first.leadingDimension, second, call.second.leadingDimension, &beta,
                                          result, call.result.leadingDimension), "cublasSgemm_v2")
        } else {
            try cuBLAS.check(cuBLAS.sgemmStridedBatched(blas.handle, firstOperation, secondOperation, call.m, call.n, call.k, &alpha,
                                                        first, call.first.leadingDimension, call.first.batchStride,
                                                        second, call.second.leadingDimension, call.second.batchStride, &beta,
                                                        result, call.result.leadingDimension, call.result.batchStride,
                                                        call.batchCount), "cublasSgemmStridedBatched")
        }
    }

    public func addBias(_ x: CUDABuffer, offset: Int, rows: Int, columns: Int, bias: CUDABuffer) throws {
        try device.launch(.addBias, blocks: Self.elementwiseBlocks(rows * columns), threads: Self.threads,
                          [.address(x.address(at: offset)), .address(bias.address), .int64(Int64(rows)), .int32(try narrow(columns))])
    }

    public func activate(_ x: CUDABuffer, offset: Int, count: Int, _ activation: Activation) throws {
        let kernel: CUDAKernels.Kernel
        switch activation {
        case .gelu: kernel = .gelu
        case .relu: kernel = .relu
        case .tanh: kernel = .tanh
        case .sigmoid: kernel = .sigmoid
        case .geluTanh:
            throw RuntimeError.unsupported(reason: "hidden_act 'gelu_new' (tanh-approximate GELU) runs on the CPU only; use --device cpu")
        }
        try device.launch(kernel, blocks: Self.elementwiseBlocks(count), threads: Self.threads,
                          [.address(x.address(at: offset)), .int64(Int64(count))])
    }

    public func layerNorm(_ x: CUDABuffer, residual: CUDABuffer?, rows: Int, columns: Int, gamma: CUDABuffer,
                          beta: CUDABuffer, epsilon: Float, into output: CUDABuffer) throws {
        try device.launch(.layerNorm, blocks: Int(try narrow(rows)), threads: Self.rowThreads(columns), [
            .address(x.address), .address(residual?.address ?? 0), .address(gamma.address), .address(beta.address),
            .float(epsilon), .int32(try narrow(columns)), .address(output.address),
        ])
    }

    public func maskedSoftmax(_ scores: CUDABuffer, batch: Int, heads: Int, queries: Int, keys: Int,
                              additiveMask: CUDABuffer) throws {
        try device.launch(.maskedSoftmax, blocks: Int(try narrow(batch * heads * queries)), threads: Self.rowThreads(keys), [
            .address(scores.address), .address(additiveMask.address), .int32(try narrow(heads * queries)), .int32(try narrow(keys)),
        ])
    }

    public func gatherRows(_ table: CUDABuffer, width: Int, rows: [Int32], into output: CUDABuffer, accumulate: Bool) throws {
        guard !rows.isEmpty else { return }
        // The row indices go up with the call; the temporary is freed in stream order, after the kernel has read it.
        let indices = try CUDABuffer(device: device, count: rows.count)
        try rows.withUnsafeBytes { bytes in
            try device.copy(bytes.baseAddress!, to: indices.address, byteCount: bytes.count)
        }
        try device.launch(.gatherRows, blocks: Self.elementwiseBlocks(rows.count * width), threads: Self.threads, [
            .address(table.address), .address(indices.address), .int64(Int64(rows.count)), .int32(try narrow(width)),
            .int32(accumulate ? 1 : 0), .address(output.address),
        ])
    }

    public func unfoldWindows(_ x: CUDABuffer, batch: Int, time: Int, channels: Int, width: Int, channelMajor: Bool,
                              into output: CUDABuffer) throws {
        try device.launch(.unfoldWindows, blocks: Self.elementwiseBlocks(batch * (time - width + 1) * width * channels),
                          threads: Self.threads, [
                              .address(x.address), .int64(Int64(batch)), .int32(try narrow(time)), .int32(try narrow(channels)),
                              .int32(try narrow(width)), .int32(channelMajor ? 1 : 0), .address(output.address),
                          ])
    }

    public func maxPoolOverTime(_ x: CUDABuffer, batch: Int, time: Int, channels: Int, into output: CUDABuffer,
                                outputOffset: Int, outputStride: Int) throws {
        try device.launch(.maxPoolOverTime, blocks: Self.elementwiseBlocks(batch * channels), threads: Self.threads, [
            .address(x.address), .int64(Int64(batch)), .int32(try narrow(time)), .int32(try narrow(channels)),
            .address(output.address), .int32(try narrow(outputOffset)), .int32(try narrow(outputStride)),
        ])
    }

    /// Threads per block of the elementwise kernels.
    static let threads = 256

    /// Blocks for `count` elements, one per `threads` elements up to a cap past which grid-stride loops take over.
    static func elementwiseBlocks(_ count: Int) -> Int {
        min((count + threads - 1) / threads, 65_536)
    }

    /// Threads per block of a row kernel over `columns` values: a multiple of the warp size, at most 256.
    static func rowThreads(_ columns: Int) -> Int {
        min(max((columns + 31) / 32 * 32, 32), 256)
    }
}
