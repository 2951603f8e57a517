/// A device pointer (`CUdeviceptr`).
typealias CUDAAddress = UInt64

/// The CUDA driver API functions the backend calls, looked up in `libcuda.so.1`: the one choke point for the driver.
///
/// Each field mirrors the `cuda.h` declaration of the function named beside it (handles as opaque pointers, `size_t`
/// as `Int`, `CUdeviceptr` as `UInt64`). Every call goes through `check`, which turns a `CUresult` into an error naming
/// the function, with `cuGetErrorName` and `cuGetErrorString`'s texts.
struct CUDADriver: @unchecked Sendable {
    typealias Status = Int32
    typealias Handle = OpaquePointer

    /// `CUDA_ERROR_STUB_LIBRARY`: the toolkit's stub `libcuda` answers every call with it.
    static let stubLibrary: Status = 34
    /// `CUDA_ERROR_NO_DEVICE`.
    static let noDevice: Status = 100
    /// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR` and `_MINOR`.
    static let computeCapabilityMajor: Int32 = 75, computeCapabilityMinor: Int32 = 76
    /// `CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED`: whether `cuMemAllocAsync` works on the device.
    static let memoryPoolsSupported: Int32 = 115
    /// `CU_MEMPOOL_ATTR_RELEASE_THRESHOLD` (a `cuuint64_t`).
    static let releaseThreshold: Int32 = 4

    let library: SharedLibrary
    let initialize: @convention(c) (UInt32) -> Status                                                   // cuInit
    let driverGetVersion: @convention(c) (UnsafeMutablePointer<Int32>) -> Status                        // cuDriverGetVersion
    let deviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> Status                          // cuDeviceGetCount
    let deviceGet: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Status                        // cuDeviceGet
    let deviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Status             // cuDeviceGetName
    let deviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Status        // cuDeviceGetAttribute
    let primaryContextRetain: @convention(c) (UnsafeMutablePointer<Handle?>, Int32) -> Status           // cuDevicePrimaryCtxRetain
    let contextSetCurrent: @convention(c) (Handle?) -> Status                                           // cuCtxSetCurrent
    let memoryAllocate: @convention(c) (UnsafeMutablePointer<CUDAAddress>, Int) -> Status               // cuMemAlloc_v2
    let memoryFree: @convention(c) (CUDAAddress) -> Status                                              // cuMemFree_v2
    let memoryAllocateAsync: (@convention(c) (UnsafeMutablePointer<CUDAAddress>, Int, Handle?) -> Status)?  // cuMemAllocAsync
    let memoryFreeAsync: (@convention(c) (CUDAAddress, Handle?) -> Status)?                             // cuMemFreeAsync
    let deviceGetDefaultMemoryPool: (@convention(c) (UnsafeMutablePointer<Handle?>, Int32) -> Status)?  // cuDeviceGetDefaultMemPool
    let memoryPoolSetAttribute: (@convention(c) (Handle?, Int32, UnsafeMutableRawPointer) -> Status)?   // cuMemPoolSetAttribute
    let copyHostToDevice: @convention(c) (CUDAAddress, UnsafeRawPointer, Int) -> Status                 // cuMemcpyHtoD_v2
    let copyDeviceToHost: @convention(c) (UnsafeMutableRawPointer, CUDAAddress, Int) -> Status          // cuMemcpyDtoH_v2
    let moduleLoadData: @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeRawPointer) -> Status      // cuModuleLoadData
    let moduleGetFunction: @convention(c) (UnsafeMutablePointer<Handle?>, Handle?, UnsafePointer<CChar>) -> Status  // cuModuleGetFunction
    let launchKernel: @convention(c) (Handle?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Handle?,
                                      UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                      UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Status       // cuLaunchKernel
    let contextSynchronize: @convention(c) () -> Status                                                 // cuCtxSynchronize
    let getErrorName: (@convention(c) (Status, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status)?    // cuGetErrorName
    let getErrorString: (@convention(c) (Status, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status)?  // cuGetErrorString

    /// Looks up every function in `library`; a missing required one rejects the library.
    init(_ library: SharedLibrary) throws(LoaderMessage) {
        self.library = library
        initialize = try library.function("cuInit")
        driverGetVersion = try library.function("cuDriverGetVersion")
        deviceGetCount = try library.function("cuDeviceGetCount")
        deviceGet = try library.function("cuDeviceGet")
        deviceGetName = try library.function("cuDeviceGetName")
        deviceGetAttribute = try library.function("cuDeviceGetAttribute")
        primaryContextRetain = try library.function("cuDevicePrimaryCtxRetain")
        contextSetCurrent = try library.function("cuCtxSetCurrent")
        memoryAllocate = try library.function("cuMemAlloc_v2")
        memoryFree = try library.function("cuMemFree_v2")
        memoryAllocateAsync = library.optionalFunction("cuMemAllocAsync")
        memoryFreeAsync = library.optionalFunction("cuMemFreeAsync")
        deviceGetDefaultMemoryPool = library.optionalFunction("cuDeviceGetDefaultMemPool")
        memoryPoolSetAttribute = library.optionalFunction("cuMemPoolSetAttribute")
        copyHostToDevice = try library.function("cuMemcpyHtoD_v2")
        copyDeviceToHost = try library.function("cuMemcpyDtoH_v2")
        moduleLoadData = try library.function("cuModuleLoadData")
        moduleGetFunction = try library.function("cuModuleGetFunction")
        launchKernel = try library.function("cuLaunchKernel")
        contextSynchronize = try library.function("cuCtxSynchronize")
        getErrorName = library.optionalFunction("cuGetErrorName")
        getErrorString = library.optionalFunction("cuGetErrorString")
    }

    /// Throws `cudaCall` when `status` is not `CUDA_SUCCESS`.
    func check(_ status: Status, _ function: String) throws(RuntimeError) {
        guard status != 0 else { return }
        throw .cudaCall(function: function, status: describe(status))
    }

    /// `CUDA_ERROR_OUT_OF_MEMORY (2, out of memory)`, or the bare number when the driver cannot name it.
    func describe(_ status: Status) -> String {
        var name: UnsafePointer<CChar>?
        var text: UnsafePointer<CChar>?
        if let getErrorName, getErrorName(status, &name) != 0 { name = nil }
        if let getErrorString, getErrorString(status, &text) != 0 { text = nil }
        let code = text.map { "\(status), \(String(cString: $0))" } ?? "\(status)"
        return name.map { "\(String(cString: $0)) (\(code))" } ?? "CUresult \(code)"
    }
}
