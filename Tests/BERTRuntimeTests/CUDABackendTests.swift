import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import BERTRuntime

/// Whether this machine has an NVIDIA driver the loader can find.
let driverIsInstalled: Bool = {
    guard let handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) else { return false }
    dlclose(handle)
    return true
}()

/// A fresh folder under `$TMPDIR` (or `/tmp`) for one test.
func makeTemporaryFolder() throws -> String {
    let root = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(root)/bertinspect-cuda-XXXXXX".utf8CString)
    let path = try #require(mkdtemp(&template))
    return String(cString: path)
}

/// NVRTC, when this machine has it (CUDA toolkit, or `pip install nvidia-cuda-nvrtc`); nil otherwise.
let installedNVRTC: NVRTC? = try? NVRTC.load()

@Suite("CUDA library loading")
struct CUDALoadingTests {
    @Test("without a driver, creating the backend names libcuda.so.1 and every place it was looked for",
          .enabled(if: !driverIsInstalled, "this machine has an NVIDIA driver"))
    func noDriver() throws {
        let error = try #require(throws: RuntimeError.self) { try CUDABackend() }
        guard case let .cudaLibraryNotFound(library, names, searched, _) = error else {
            Issue.record("expected cudaLibraryNotFound, got \(error)")
            return
        }
        #expect(library == .driver)
        #expect(names == ["libcuda.so.1"])
        #expect(searched.first == "on the loader path")
        #expect(searched.contains("in /usr/local/cuda/lib64"))
        #expect(searched.last?.hasPrefix("in BERTINSPECT_CUDA_LIBRARY_PATH") == true)
        #expect(error.concernsDevice)
        #expect(error.description.hasPrefix("No CUDA device: libcuda.so.1 was not found on the loader path, in /usr/local/cuda/lib64 or in BERTINSPECT_CUDA_LIBRARY_PATH"))
        // The failure is found once per process and remembered.
        #expect(throws: error) { try CUDABackend(tf32: true) }
    }

    @Test("a file that is not a shared library is refused with the loader's reason, and the search says where it looked")
    func unloadableFile() throws {
        let folder = try makeTemporaryFolder()
        let fake = folder + "/libcuda.so.1"
        let file = try #require(fopen(fake, "w"))
        fputs("not an ELF file", file)
        fclose(file)
        let search = LibrarySearch(environmentFolders: [folder], usesLoaderPath: false, folders: [], usesPythonPackages: false)
        let error = try #require(throws: RuntimeError.self) {
            try search.locate(.driver, names: ["libcuda.so.1"]) { _ in Issue.record("a non-library was accepted") }
        }
        guard case let .cudaLibraryNotFound(_, _, searched, rejected) = error else {
            Issue.record("expected cudaLibraryNotFound, got \(error)")
            return
        }
        #expect(searched == ["in BERTINSPECT_CUDA_LIBRARY_PATH (\(folder))"])
        #expect(rejected.count == 1)
        #expect(rejected.first?.hasPrefix(fake + " (") == true)
        #expect(error.description.contains("found but refused: \(fake)"))
    }

    @Test("a library the caller rejects is skipped and named with the reason")
    func rejectedCandidate() throws {
        let search = LibrarySearch(environmentFolders: nil, usesLoaderPath: true, folders: [], usesPythonPackages: false)
        // libm is on every loader path; it stands in for a library of the wrong version.
        let error = try #require(throws: RuntimeError.self) {
            try search.locate(.cuBLAS, names: ["libm.so.6"]) { _ in throw LoaderMessage(text: "wrong version") }
        }
        #expect(error.description.hasPrefix("The CUDA backend cannot start: cuBLAS (libm.so.6) was not found on the loader path or in BERTINSPECT_CUDA_LIBRARY_PATH (not set); found but refused: "))
        #expect(error.description.hasSuffix("libm.so.6 (wrong version)."))
    }

    @Test("the toolkit's stubs folder never counts as a driver", arguments: [
        ("/usr/local/cuda/lib64/stubs/libcuda.so.1", true), ("/usr/local/cuda/targets/x86_64-linux/lib/stubs/libcuda.so", true),
        ("/usr/lib/x86_64-linux-gnu/libcuda.so.1", false), ("/opt/stubs-not/libcuda.so.1", false),
    ])
    func stubs(path: String, isStub: Bool) {
        #expect(LibrarySearch.isStub(path) == isStub)
    }

    @Test("cuBLAS and NVRTC opened from a folder bring the libraries they load by name from the same folder")
    func companions() {
        #expect(CUDALibrary.cuBLAS.companions(of: "libcublas.so.12") == ["libcublasLt.so.12"])
        #expect(CUDALibrary.nvrtc.companions(of: "libnvrtc.so.13") == ["libnvrtc-builtins.so.13*"])
        #expect(CUDALibrary.nvrtc.companions(of: "libnvrtc.so") == ["libnvrtc-builtins.so*"])
        #expect(CUDALibrary.driver.companions(of: "libcuda.so.1").isEmpty)
    }

    @Test("library versions newer than the driver are not tried")
    func versionsForDriver() {
        #expect(CUDALibrary.cuBLAS.fileNames(maximumMajor: 12) == ["libcublas.so.12", "libcublas.so.11", "libcublas.so"])
        #expect(CUDALibrary.nvrtc.fileNames(maximumMajor: 13) == CUDALibrary.nvrtc.fileNames)
        #expect(CUDALibrary.nvrtc.fileNames(maximumMajor: 11) == ["libnvrtc.so.11.2", "libnvrtc.so"])
        #expect(CUDALibrary.nvrtc.fileNames(maximumMajor: nil) == CUDALibrary.nvrtc.fileNames)
    }
}

@Suite("CUDA kernels and cuBLAS calls")
struct CUDAKernelTests {
    @Test("every kernel compiles to PTX with NVRTC", .enabled(if: installedNVRTC != nil, "NVRTC is not installed (CUDA toolkit or pip's nvidia-cuda-nvrtc)"))
    func kernelsCompile() throws {
        let nvrtc = try #require(installedNVRTC)
        // An H100's compute 9.0 and the oldest architecture this NVRTC supports.
        let supported = try nvrtc.supportedArchitectures() ?? [90]
        for architecture in Set([supported.min()!, supported.contains(90) ? 90 : supported.max()!]) {
            let ptx = try nvrtc.compile(CUDAKernels.source, name: CUDAKernels.programName, architecture: architecture)
            let targetsArchitecture = ptx.contains(".target sm_\(architecture)")
            #expect(targetsArchitecture)
            for kernel in CUDAKernels.Kernel.allCases {
                // The parameters NVRTC declares are the ones CUDADevice.launch passes.
                let declared = kernel.parameters.indices.map { ".param .\(kernel.parameters[$0].ptxType) \(kernel.rawValue)_param_\($0)" }
                let entry = ".entry \(kernel.rawValue)(\n" + declared.map { "\t" + $0 }.joined(separator: ",\n") + "\n)"
                let declaresEntry = ptx.contains(entry)
                #expect(declaresEntry, "compute_\(architecture): no kernel \(kernel.rawValue) with parameters \(declared)")
            }
        }
    }

    @Test("NVRTC is found in a BERTINSPECT_CUDA_LIBRARY_PATH folder, and refused when newer than the driver",
          .enabled(if: installedNVRTC != nil, "NVRTC is not installed"))
    func nvrtcFromFolder() throws {
        let installed = try #require(installedNVRTC)
        let path = installed.library.path
        let slash = try #require(path.lastIndex(of: "/"))
        let folder = String(path[..<slash])
        let search = LibrarySearch(environmentFolders: [folder], usesLoaderPath: false, folders: [], usesPythonPackages: false)
        let found = try search.locate(.nvrtc, names: CUDALibrary.nvrtc.fileNames) { try NVRTC($0, maximumMajor: nil) }
        #expect(found.library.path.hasPrefix(folder + "/"))
        #expect(found.version == installed.version)
        let older = installed.majorVersion - 1
        let error = try #require(throws: RuntimeError.self) {
            try search.locate(.nvrtc, names: CUDALibrary.nvrtc.fileNames) { try NVRTC($0, maximumMajor: older) }
        }
        #expect(error.description.contains("NVRTC \(installed.version) writes PTX that needs a CUDA \(installed.majorVersion) driver; this one runs CUDA \(older)"))
    }

    @Test("a kernel NVRTC rejects throws its log", .enabled(if: installedNVRTC != nil, "NVRTC is not installed"))
    func compilationError() throws {
        let nvrtc = try #require(installedNVRTC)
        let architecture = try nvrtc.supportedArchitectures()?.max() ?? 90
        let error = try #require(throws: RuntimeError.self) {
            try nvrtc.compile("extern \"C\" __global__ void broken(float* x) { x[0] = undeclared; }", name: "broken.cu",
                              architecture: architecture)
        }
        guard case let .kernelCompilation(name, log) = error else {
            Issue.record("expected kernelCompilation, got \(error)")
            return
        }
        #expect(name == "compute_\(architecture)")
        #expect(log.contains("undeclared"))
    }

    @Test("the column-major cuBLAS call computes the row-major product", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func columnMajorProduct(transposeA: Bool, transposeB: Bool) throws {
        let m = 3, n = 4, k = 5, batch = 2
        // Two batched products; operands padded (leading dimension one wider) and offset into their buffers.
        let aRows = transposeA ? k : m, aColumns = transposeA ? m : k
        let bRows = transposeB ? n : k, bColumns = transposeB ? k : n
        let lda = aColumns + 1, ldb = bColumns + 1, ldc = n + 2
        let aStride = aRows * lda, bStride = bRows * ldb, cStride = m * ldc
        let a = (0..<(2 + batch * aStride)).map { Float($0 % 11) - 4 }
        let b = (0..<(1 + batch * bStride)).map { Float($0 % 7) * 0.5 - 1 }
        let c = [Float](repeating: 0.25, count: batch * cStride)
        let operandA = MatrixOperand(0, offset: 2, leadingDimension: lda, transposed: transposeA, batchStride: aStride)
        let operandB = MatrixOperand(0, offset: 1, leadingDimension: ldb, transposed: transposeB, batchStride: bStride)
        let operandC = MatrixOperand(0, leadingDimension: ldc, batchStride: cStride)
        let call = try ColumnMajorProduct(m: m, n: n, k: k, a: operandA, b: operandB, c: operandC, batchCount: batch)

        // What the CPU backend (cblas_sgemm, row-major) computes.
        setThreadCount(1)
        let cpu = try CPUBackend()
        let (aBuffer, bBuffer, cBuffer) = (try cpu.makeBuffer(copying: a), try cpu.makeBuffer(copying: b), try cpu.makeBuffer(copying: c))
        func on(_ buffer: CPUBuffer, _ x: MatrixOperand<Int>) -> MatrixOperand<CPUBuffer> {
            MatrixOperand(buffer, offset: x.offset, leadingDimension: x.leadingDimension, transposed: x.transposed, batchStride: x.batchStride)
        }
        try cpu.matrixMultiply(m: m, n: n, k: k, alpha: 1.5, on(aBuffer, operandA), on(bBuffer, operandB), beta: 2,
                               into: on(cBuffer, operandC), batchCount: batch)
        let expected = try cpu.read(cBuffer, offset: 0, count: c.count)

        // What cuBLAS computes for that call: reference column-major SGEMM (netlib semantics), batch by batch.
        var actual = c
        for index in 0..<batch {
            for j in 0..<Int(call.n) {
                for i in 0..<Int(call.m) {
                    var sum: Float = 0
                    for l in 0..<Int(call.k) {
                        let first = call.first.transposed ? l + i * Int(call.first.leadingDimension) : i + l * Int(call.first.leadingDimension)
                        let second = call.second.transposed ? j + l * Int(call.second.leadingDimension) : l + j * Int(call.second.leadingDimension)
                        sum += b[call.first.offset + index * Int(call.first.batchStride) + first]
                            * a[call.second.offset + index * Int(call.second.batchStride) + second]
                    }
                    let target = call.result.offset + index * Int(call.result.batchStride) + i + j * Int(call.result.leadingDimension)
                    actual[target] = 1.5 * sum + 2 * actual[target]
                }
            }
        }
        for (x, y) in zip(actual, expected) { #expect(abs(x - y) <= 1e-5 * max(1, abs(y))) }
    }

    @Test("sizes beyond 32 bits are refused, not truncated")
    func oversized() {
        let operand = MatrixOperand(0, leadingDimension: 1 << 31)
        do {
            _ = try ColumnMajorProduct(m: 1, n: 1, k: 1, a: operand, b: operand, c: MatrixOperand(0, leadingDimension: 1), batchCount: 1)
            Issue.record("a leading dimension of 2^31 was accepted")
        } catch {
            guard case let .unsupported(reason) = error else { Issue.record("expected .unsupported, got \(error)"); return }
            #expect(reason.contains("32"), "\(reason)")
        }
    }

    @Test("launch shapes: row kernels use whole warps, elementwise grids are capped")
    func launchShapes() {
        #expect(CUDABackend.rowThreads(1) == 32)
        #expect(CUDABackend.rowThreads(128) == 128)
        #expect(CUDABackend.rowThreads(130) == 160)
        #expect(CUDABackend.rowThreads(768) == 256)
        #expect(CUDABackend.elementwiseBlocks(1) == 1)
        #expect(CUDABackend.elementwiseBlocks(257) == 2)
        #expect(CUDABackend.elementwiseBlocks(1 << 40) == 65_536)
    }
}
