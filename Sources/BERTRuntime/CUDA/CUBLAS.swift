/// The cuBLAS functions the backend calls, looked up in `libcublas.so.*`: the one choke point for cuBLAS.
///
/// Each field mirrors the `cublas_api.h` declaration of the function named beside it; every call goes through
/// `check`, which names the function and the `cublasStatus_t` (through `cublasGetStatusName` where the library has it).
struct CUBLAS: @unchecked Sendable {
    typealias Status = Int32
    typealias Handle = OpaquePointer

    /// `CUBLAS_OP_N` and `CUBLAS_OP_T`.
    static let noTranspose: Int32 = 0, transpose: Int32 = 1
    /// `CUBLAS_DEFAULT_MATH`: FP32 products computed in FP32.
    static let defaultMath: Int32 = 0
    /// `CUBLAS_TF32_TENSOR_OP_MATH`: FP32 products may round their inputs to TF32 on tensor cores.
    static let tf32TensorOpMath: Int32 = 3

    let library: SharedLibrary
    /// The library's version as `major.minor.patch`.
    let version: String
    /// The major version (12 for `libcublas.so.12`).
    let majorVersion: Int
    let create: @convention(c) (UnsafeMutablePointer<Handle?>) -> Status                               // cublasCreate_v2
    let destroy: @convention(c) (Handle?) -> Status                                                    // cublasDestroy_v2
    let setMathMode: @convention(c) (Handle?, Int32) -> Status                                         // cublasSetMathMode
    let sgemm: @convention(c) (Handle?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>,
                               UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, UnsafePointer<Float>,
                               UnsafeMutablePointer<Float>?, Int32) -> Status                          // cublasSgemm_v2
    let sgemmStridedBatched: @convention(c) (Handle?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>,
                                             UnsafePointer<Float>?, Int32, Int64, UnsafePointer<Float>?, Int32, Int64,
                                             UnsafePointer<Float>, UnsafeMutablePointer<Float>?, Int32, Int64,
                                             Int32) -> Status                                          // cublasSgemmStridedBatched
    let getStatusName: (@convention(c) (Status) -> UnsafePointer<CChar>?)?                            // cublasGetStatusName
    let getStatusString: (@convention(c) (Status) -> UnsafePointer<CChar>?)?                          // cublasGetStatusString

    /// Looks up every function in `library` and refuses a cuBLAS newer than the driver (`maximumMajor`).
    init(_ library: SharedLibrary, maximumMajor: Int?) throws(LoaderMessage) {
        typealias GetProperty = @convention(c) (Int32, UnsafeMutablePointer<Int32>) -> Status       // cublasGetProperty
        let getProperty: GetProperty = try library.function("cublasGetProperty")
        // libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL.
        var parts: [Int32] = [0, 0, 0]
        for index in parts.indices where getProperty(Int32(index), &parts[index]) != 0 {
            throw LoaderMessage(text: "cublasGetProperty failed")
        }
        majorVersion = Int(parts[0])
        version = parts.map(String.init).joined(separator: ".")
        if let maximumMajor, majorVersion > maximumMajor {
            throw LoaderMessage(text: "cuBLAS \(version) needs a CUDA \(majorVersion) driver; this one runs CUDA \(maximumMajor)")
        }
        self.library = library
        create = try library.function("cublasCreate_v2")
        destroy = try library.function("cublasDestroy_v2")
        setMathMode = try library.function("cublasSetMathMode")
        sgemm = try library.function("cublasSgemm_v2")
        sgemmStridedBatched = try library.function("cublasSgemmStridedBatched")
        getStatusName = library.optionalFunction("cublasGetStatusName")
        getStatusString = library.optionalFunction("cublasGetStatusString")
    }

    /// Throws `cudaCall` when `status` is not `CUBLAS_STATUS_SUCCESS`.
    func check(_ status: Status, _ function: String) throws(RuntimeError) {
        guard status != 0 else { return }
        let name = getStatusName?(status).map { String(cString: $0) } ?? "cublasStatus_t \(status)"
        let text = getStatusString?(status).map { ", " + String(cString: $0) } ?? ""
        throw .cudaCall(function: function, status: "\(name) (\(status)\(text))")
    }
}

/// A cuBLAS handle with its math mode, destroyed with the last backend that uses it.
///
/// cuBLAS allows calls on one handle from several threads as long as its settings do not change; they are set once,
/// here.
final class CUBLASHandle: @unchecked Sendable {
    /// The handle; immutable.
    let handle: CUBLAS.Handle
    private let device: CUDADevice

    /// A handle in `device`'s context, computing FP32 products in FP32 or, with `tf32`, on TF32 tensor cores.
    init(device: CUDADevice, tf32: Bool) throws(RuntimeError) {
        let cuBLAS = device.cuBLAS
        try device.makeCurrent()
        var created: CUBLAS.Handle?
        try cuBLAS.check(cuBLAS.create(&created), "cublasCreate_v2")
        guard let created else { throw .cudaCall(function: "cublasCreate_v2", status: "a null handle") }
        handle = created
        self.device = device
        try cuBLAS.check(cuBLAS.setMathMode(handle, tf32 ? CUBLAS.tf32TensorOpMath : CUBLAS.defaultMath), "cublasSetMathMode")
    }

    deinit {
        try? device.makeCurrent()
        _ = device.cuBLAS.destroy(handle)
    }
}
