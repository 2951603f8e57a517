/// The NVRTC functions the backend calls, looked up in `libnvrtc.so.*`: the one choke point for NVRTC.
///
/// NVRTC compiles CUDA C to PTX on the host; it needs no GPU and no driver, so the kernel sources are compiled (and
/// tested) on any machine that has the library. Each field mirrors the `nvrtc.h` declaration named beside it.
struct NVRTC: @unchecked Sendable {
    typealias Status = Int32
    typealias Program = OpaquePointer

    let library: SharedLibrary
    /// The compiler's version, `major.minor`.
    let version: String
    /// The major version (12 for `libnvrtc.so.12`).
    let majorVersion: Int
    let createProgram: @convention(c) (UnsafeMutablePointer<Program?>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
                                       UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Status  // nvrtcCreateProgram
    let compileProgram: @convention(c) (Program?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Status           // nvrtcCompileProgram
    let destroyProgram: @convention(c) (UnsafeMutablePointer<Program?>) -> Status                                   // nvrtcDestroyProgram
    let getProgramLogSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Status                           // nvrtcGetProgramLogSize
    let getProgramLog: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Status                             // nvrtcGetProgramLog
    let getPTXSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Status                                  // nvrtcGetPTXSize
    let getPTX: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Status                                    // nvrtcGetPTX
    let getErrorString: @convention(c) (Status) -> UnsafePointer<CChar>?                                           // nvrtcGetErrorString
    let getNumSupportedArchitectures: (@convention(c) (UnsafeMutablePointer<Int32>) -> Status)?                     // nvrtcGetNumSupportedArchs
    let getSupportedArchitectures: (@convention(c) (UnsafeMutablePointer<Int32>) -> Status)?                        // nvrtcGetSupportedArchs

    /// Looks up every function in `library` and refuses an NVRTC newer than the driver (`maximumMajor`): the driver
    /// could not load the PTX it writes.
    init(_ library: SharedLibrary, maximumMajor: Int?) throws(LoaderMessage) {
        let versionFunction: @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Status =
            try library.function("nvrtcVersion")
        var major: Int32 = 0, minor: Int32 = 0
        guard versionFunction(&major, &minor) == 0 else { throw LoaderMessage(text: "nvrtcVersion failed") }
        majorVersion = Int(major)
        version = "\(major).\(minor)"
        if let maximumMajor, majorVersion > maximumMajor {
            throw LoaderMessage(text: "NVRTC \(version) writes PTX that needs a CUDA \(major) driver; this one runs CUDA \(maximumMajor)")
        }
        self.library = library
        createProgram = try library.function("nvrtcCreateProgram")
        compileProgram = try library.function("nvrtcCompileProgram")
        destroyProgram = try library.function("nvrtcDestroyProgram")
        getProgramLogSize = try library.function("nvrtcGetProgramLogSize")
        getProgramLog = try library.function("nvrtcGetProgramLog")
        getPTXSize = try library.function("nvrtcGetPTXSize")
        getPTX = try library.function("nvrtcGetPTX")
        getErrorString = try library.function("nvrtcGetErrorString")
        getNumSupportedArchitectures = library.optionalFunction("nvrtcGetNumSupportedArchs")
        getSupportedArchitectures = library.optionalFunction("nvrtcGetSupportedArchs")
    }

    /// Finds NVRTC with the standard search (`LibrarySearch`), accepting only versions the driver's CUDA major version
    /// (`maximumMajor`, nil when no driver is involved) can load.
    static func load(maximumMajor: Int? = nil) throws -> NVRTC {
        try LibrarySearch.standard().locate(.nvrtc, names: CUDALibrary.nvrtc.fileNames(maximumMajor: maximumMajor)) { library in
            try NVRTC(library, maximumMajor: maximumMajor)
        }
    }

    /// Throws `cudaCall` when `status` is not `NVRTC_SUCCESS`.
    func check(_ status: Status, _ function: String) throws(RuntimeError) {
        guard status != 0 else { return }
        let text = getErrorString(status).map { String(cString: $0) } ?? "nvrtcResult"
        throw .cudaCall(function: function, status: "\(text) (\(status))")
    }

    /// The virtual architectures this NVRTC compiles for (`[75, 80, 86, 89, 90, …]`), or nil when it cannot say.
    func supportedArchitectures() throws -> [Int]? {
        guard let getNumSupportedArchitectures, let getSupportedArchitectures else { return nil }
        var count: Int32 = 0
        try check(getNumSupportedArchitectures(&count), "nvrtcGetNumSupportedArchs")
        var architectures = [Int32](repeating: 0, count: Int(count))
        try check(architectures.withUnsafeMutableBufferPointer { getSupportedArchitectures($0.baseAddress!) }, "nvrtcGetSupportedArchs")
        return architectures.map(Int.init)
    }

    /// The PTX for `source` compiled for the virtual architecture `compute_<architecture>`.
    ///
    /// Options are NVRTC's defaults (IEEE division and square root, no fast math) plus the architecture; a rejected
    /// source throws `kernelCompilation` with NVRTC's log.
    func compile(_ source: String, name: String, architecture: Int) throws -> String {
        var program: Program?
        try check(createProgram(&program, source, name, 0, nil, nil), "nvrtcCreateProgram")
        defer { _ = destroyProgram(&program) }
        let status = "--gpu-architecture=compute_\(architecture)".withCString { option in
            var options: [UnsafePointer<CChar>?] = [option]
            return compileProgram(program, Int32(options.count), &options)
        }
        if status != 0 {
            var size = 0
            try check(getProgramLogSize(program, &size), "nvrtcGetProgramLogSize")
            var log = [CChar](repeating: 0, count: max(size, 1))
            try check(getProgramLog(program, &log), "nvrtcGetProgramLog")
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw RuntimeError.kernelCompilation(architecture: "compute_\(architecture)",
                                                 log: text.isEmpty ? "nvrtcCompileProgram returned \(status)" : text)
        }
        var size = 0
        try check(getPTXSize(program, &size), "nvrtcGetPTXSize")
        var ptx = [CChar](repeating: 0, count: max(size, 1))
        try check(getPTX(program, &ptx), "nvrtcGetPTX")
        return String(decoding: ptx.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
