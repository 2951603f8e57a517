/// The process's CUDA device: the driver, cuBLAS and NVRTC libraries, device 0's primary context and the kernels
/// compiled for it. Created once per process, on first use (`shared`).
///
/// Every entry point makes the context current on the calling thread first, so backends may be used from any
/// thread. Work is queued on the legacy default stream, so kernels, cuBLAS calls, stream-ordered allocations and the
/// synchronous copies run in the order they are issued.
final class CUDADevice: @unchecked Sendable {
    let driver: CUDADriver
    let cuBLAS: CUBLAS
    let nvrtc: NVRTC
    /// The device's name (`NVIDIA H100 80GB HBM3`).
    let name: String
    /// `9.0` for an H100.
    let computeCapability: String
    /// The kernels were compiled for `compute_<architecture>`.
    let architecture: Int
    /// The CUDA version the driver supports, `major.minor`.
    let driverVersion: String
    /// The primary context of device 0; immutable, retained for the life of the process.
    private let context: CUDADriver.Handle
    /// Whether buffers come from the device's stream-ordered memory pool (`cuMemAllocAsync`) rather than `cuMemAlloc`.
    private let usesMemoryPool: Bool
    /// One function per `CUDAKernels.Kernel`, in its order.
    private let functions: [CUDADriver.Handle]

    /// The device, or why CUDA cannot run in this process; found and prepared once.
    static let shared: Result<CUDADevice, RuntimeError> = {
        do {
            return .success(try CUDADevice(search: .standard()))
        } catch let error as RuntimeError {
            return .failure(error)
        } catch {
            return .failure(.cudaUnusable(reason: "\(error)"))
        }
    }()

    /// Loads the driver, picks device 0, loads cuBLAS and NVRTC versions the driver can serve, compiles the kernels.
    private init(search: LibrarySearch) throws {
        let driver = try search.locate(.driver, names: CUDALibrary.driver.fileNames) { library in
            let driver = try CUDADriver(library)
            let status = driver.initialize(0)
            if status == CUDADriver.stubLibrary { throw LoaderMessage(text: "the toolkit's stub library, which runs nothing") }
            guard status == 0 else { throw RuntimeError.cudaUnusable(reason: "cuInit failed with \(driver.describe(status))") }
            return driver
        }
        var version: Int32 = 0
        try driver.check(driver.driverGetVersion(&version), "cuDriverGetVersion")
        let driverMajor = Int(version) / 1000
        let driverVersion = "\(driverMajor).\(Int(version) % 1000 / 10)"
        var count: Int32 = 0
        try driver.check(driver.deviceGetCount(&count), "cuDeviceGetCount")
        guard count > 0 else { throw RuntimeError.cudaUnusable(reason: "the driver (CUDA \(driverVersion)) sees no device") }
        var device: Int32 = 0
        try driver.check(driver.deviceGet(&device, 0), "cuDeviceGet")
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(driver.deviceGetName(&nameBytes, Int32(nameBytes.count), device), "cuDeviceGetName")
        let name = String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func attribute(_ attribute: Int32) throws(RuntimeError) -> Int {
            var value: Int32 = 0
            try driver.check(driver.deviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute")
            return Int(value)
        }
        let major = try attribute(CUDADriver.computeCapabilityMajor), minor = try attribute(CUDADriver.computeCapabilityMinor)
        let computeCapability = "\(major).\(minor)"
        var retained: CUDADriver.Handle?
        try driver.check(driver.primaryContextRetain(&retained, device), "cuDevicePrimaryCtxRetain")
        guard let context = retained else { throw RuntimeError.cudaUnusable(reason: "cuDevicePrimaryCtxRetain returned no context") }
        try driver.check(driver.contextSetCurrent(context), "cuCtxSetCurrent")

        // Freed buffers stay in the pool for the next pass instead of going back to the driver at each synchronisation.
        let usesMemoryPool: Bool
        if try attribute(CUDADriver.memoryPoolsSupported) == 1, driver.memoryAllocateAsync != nil, driver.memoryFreeAsync != nil,
           let getPool = driver.deviceGetDefaultMemoryPool, let setAttribute = driver.memoryPoolSetAttribute {
            var pool: CUDADriver.Handle?
            try driver.check(getPool(&pool, device), "cuDeviceGetDefaultMemPool")
            var threshold = UInt64.max
            try driver.check(setAttribute(pool, CUDADriver.releaseThreshold, &threshold), "cuMemPoolSetAttribute")
            usesMemoryPool = true
        } else {
            usesMemoryPool = false
        }

        let cuBLAS = try search.locate(.cuBLAS, names: CUDALibrary.cuBLAS.fileNames(maximumMajor: driverMajor)) { library in
            try CUBLAS(library, maximumMajor: driverMajor)
        }
        let nvrtc = try search.locate(.nvrtc, names: CUDALibrary.nvrtc.fileNames(maximumMajor: driverMajor)) { library in
            try NVRTC(library, maximumMajor: driverMajor)
        }
        // PTX for an older virtual architecture runs on newer devices, so an NVRTC that predates the device still works.
        let deviceArchitecture = major * 10 + minor
        let architecture: Int
        if let supported = try nvrtc.supportedArchitectures() {
            guard let best = supported.filter({ $0 <= deviceArchitecture }).max() else {
                throw RuntimeError.cudaUnusable(
                    reason: "NVRTC \(nvrtc.version) compiles for compute_\(supported.min() ?? 0) and newer; \(name) is compute \(computeCapability)")
            }
            architecture = best
        } else {
            architecture = deviceArchitecture
        }
        let ptx = try nvrtc.compile(CUDAKernels.source, name: CUDAKernels.programName, architecture: architecture)
        var module: CUDADriver.Handle?
        try driver.check(ptx.withCString { driver.moduleLoadData(&module, $0) }, "cuModuleLoadData")
        var functions: [CUDADriver.Handle] = []
        for kernel in CUDAKernels.Kernel.allCases {
            var function: CUDADriver.Handle?
            try driver.check(driver.moduleGetFunction(&function, module, kernel.rawValue), "cuModuleGetFunction(\(kernel.rawValue))")
            guard let function else { throw RuntimeError.cudaUnusable(reason: "the module has no kernel \(kernel.rawValue)") }
            functions.append(function)
        }
        (self.driver, self.cuBLAS, self.nvrtc, self.name, self.computeCapability) = (driver, cuBLAS, nvrtc, name, computeCapability)
        (self.architecture, self.driverVersion, self.context) = (architecture, driverVersion, context)
        (self.usesMemoryPool, self.functions) = (usesMemoryPool, functions)
    }

    /// Makes the device's context current on the calling thread.
    func makeCurrent() throws(RuntimeError) {
        try driver.check(driver.contextSetCurrent(context), "cuCtxSetCurrent")
    }

    /// `byteCount` bytes of device memory, ordered after the work queued so far.
    func allocate(byteCount: Int) throws(RuntimeError) -> CUDAAddress {
        try makeCurrent()
        var address: CUDAAddress = 0
        if usesMemoryPool, let allocate = driver.memoryAllocateAsync {
            try driver.check(allocate(&address, max(byteCount, 4), nil), "cuMemAllocAsync")
        } else {
            try driver.check(driver.memoryAllocate(&address, max(byteCount, 4)), "cuMemAlloc_v2")
        }
        return address
    }

    /// Returns memory from `allocate` once the work queued so far has finished with it. Failures are ignored: this
    /// runs from `deinit`, and a failing device reports its error on the next call that can throw.
    func free(_ address: CUDAAddress) {
        guard driver.contextSetCurrent(context) == 0 else { return }
        if usesMemoryPool, let free = driver.memoryFreeAsync {
            _ = free(address, nil)
        } else {
            _ = driver.memoryFree(address)
        }
    }

    /// Copies `byteCount` bytes from the host to `address` (returns once the host memory may be reused).
    func copy(_ source: UnsafeRawPointer, to address: CUDAAddress, byteCount: Int) throws(RuntimeError) {
        guard byteCount > 0 else { return }
        try makeCurrent()
        try driver.check(driver.copyHostToDevice(address, source, byteCount), "cuMemcpyHtoD_v2")
    }

    /// Copies `byteCount` bytes from `address` to the host after every queued operation has finished.
    func copy(from address: CUDAAddress, to target: UnsafeMutableRawPointer, byteCount: Int) throws(RuntimeError) {
        guard byteCount > 0 else { return }
        try makeCurrent()
        try driver.check(driver.copyDeviceToHost(target, address, byteCount), "cuMemcpyDtoH_v2")
    }

    /// Queues `kernel` on `blocks` blocks of `threads` threads with `arguments` in the order the kernel declares them.
    func launch(_ kernel: CUDAKernels.Kernel, blocks: Int, threads: Int, _ arguments: [KernelArgument]) throws(RuntimeError) {
        precondition(arguments.map(\.parameter) == kernel.parameters, "arguments do not match \(kernel.rawValue)'s parameters")
        guard blocks > 0 else { return }
        try makeCurrent()
        // cuLaunchKernel takes an array of pointers, one to each argument's value.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 8 * max(arguments.count, 1), alignment: 8)
        defer { storage.deallocate() }
        var pointers: [UnsafeMutableRawPointer?] = []
        for (index, argument) in arguments.enumerated() {
            let slot = storage + 8 * index
            switch argument {
            case let .address(value): slot.storeBytes(of: value, as: UInt64.self)
            case let .int32(value): slot.storeBytes(of: value, as: Int32.self)
            case let .int64(value): slot.storeBytes(of: value, as: Int64.self)
            case let .float(value): slot.storeBytes(of: value, as: Float.self)
            }
            pointers.append(slot)
        }
        let function = functions[kernel.index]
        let status = pointers.withUnsafeMutableBufferPointer {
            driver.launchKernel(function, UInt32(blocks), 1, 1, UInt32(threads), 1, 1, 0, nil, $0.baseAddress, nil)
        }
        try driver.check(status, "cuLaunchKernel(\(kernel.rawValue))")
    }
}

/// One argument of a kernel launch, typed as the kernel's C parameter.
enum KernelArgument {
    /// A `float*` or `const float*` (or `const int*`) device pointer.
    case address(CUDAAddress)
    /// An `int`.
    case int32(Int32)
    /// A `long long`.
    case int64(Int64)
    /// A `float`.
    case float(Float)

    /// The C parameter type the argument fills.
    var parameter: CUDAKernels.KernelParameter {
        switch self {
        case .address: .pointer
        case .int32: .int32
        case .int64: .int64
        case .float: .float
        }
    }
}
