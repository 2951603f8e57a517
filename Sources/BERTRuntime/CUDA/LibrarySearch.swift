#if canImport(Glibc)
import Glibc
#endif

/// The CUDA libraries the backend opens at run time.
public enum CUDALibrary: String, Sendable, Hashable {
    /// The driver API, `libcuda.so.1`, installed with the NVIDIA driver.
    case driver = "the CUDA driver"
    /// cuBLAS, for every matrix product.
    case cuBLAS
    /// NVRTC, which compiles the backend's kernels at run time.
    case nvrtc = "NVRTC"

    /// File names tried, most preferred first: CUDA 13, then 12, then the names pip's `nvidia-*` wheels use.
    var fileNames: [String] {
        switch self {
        case .driver: ["libcuda.so.1"]
        case .cuBLAS: ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"]
        case .nvrtc: ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"]
        }
    }

    /// `fileNames` without those of a major version above `maximumMajor` (the driver's CUDA version).
    func fileNames(maximumMajor: Int?) -> [String] {
        fileNames.filter { name in
            guard let maximumMajor, let suffix = name.firstRange(of: ".so.")?.upperBound,
                  let major = Int(name[suffix...].prefix { $0.isNumber })
            else { return true }
            return major <= maximumMajor
        }
    }

    /// Libraries from the same folder that `fileName` loads by name at run time (`glob` patterns): the loader would
    /// look for them only on its own path, which a folder of the search need not be on.
    func companions(of fileName: String) -> [String] {
        guard let suffix = fileName.firstRange(of: ".so")?.lowerBound else { return [] }
        let version = fileName[suffix...]
        switch self {
        case .driver: return []
        case .cuBLAS: return ["libcublasLt" + version]
        case .nvrtc: return ["libnvrtc-builtins" + version + "*"]
        }
    }

    /// A function every version exports, used to learn which file the loader mapped.
    var probe: String {
        switch self {
        case .driver: "cuInit"
        case .cuBLAS: "cublasCreate_v2"
        case .nvrtc: "nvrtcVersion"
        }
    }
}

/// Where the CUDA backend looks for a library, in order: `BERTINSPECT_CUDA_LIBRARY_PATH`, the loader path
/// (`LD_LIBRARY_PATH`, `ld.so.cache`, the system folders), `/usr/local/cuda/lib64`, and for cuBLAS and NVRTC the
/// `nvidia/*/lib` folders of the `python3` on `PATH` (where pip's `nvidia-*` wheels put them).
///
/// A library in a `stubs` folder (the toolkit's link-time stand-in for the driver) never counts.
struct LibrarySearch: Sendable {
    /// The variable naming extra folders (colon-separated), searched first.
    static let environmentVariable = "BERTINSPECT_CUDA_LIBRARY_PATH"
    /// The CUDA toolkit's library folder.
    static let toolkitFolder = "/usr/local/cuda/lib64"

    /// Folders from `BERTINSPECT_CUDA_LIBRARY_PATH`, or nil when it is not set.
    var environmentFolders: [String]?
    /// Whether to ask the dynamic loader for the bare file name.
    var usesLoaderPath = true
    /// Fixed folders searched after the loader path.
    var folders = [Self.toolkitFolder]
    /// Whether cuBLAS and NVRTC may come from Python's site-packages (asked for only when nothing else has them).
    var usesPythonPackages = true

    /// The search this process's environment asks for.
    static func standard() -> LibrarySearch {
        LibrarySearch(environmentFolders: getenv(environmentVariable).map { value in
            String(cString: value).split(separator: ":").map(String.init).filter { !$0.isEmpty }
        })
    }

    /// Opens the first file of `library` that `accept` takes, trying `names` in every place in turn.
    ///
    /// `accept` inspects a candidate (its functions, its version) and returns what the backend keeps of it; throwing a
    /// `LoaderMessage` rejects that file and the search goes on, any other error ends the search. Nothing found
    /// throws `cudaLibraryNotFound` naming every place looked in and every file rejected.
    func locate<Value>(_ library: CUDALibrary, names: [String], accept: (SharedLibrary) throws -> Value) throws -> Value {
        var rejected: [String] = []
        var places: [String] = []
        func attempt(_ folders: [String?]) throws -> Value? {
            for folder in folders {
                for name in names {
                    let target = folder.map { $0 + "/" + name } ?? name
                    if folder != nil, access(target, F_OK) != 0 { continue }
                    let companions = folder.map { Self.openCompanions(library.companions(of: name), in: $0) } ?? []
                    let candidate: SharedLibrary
                    switch SharedLibrary.open(target, probe: library.probe) {
                    case let .success(opened): candidate = opened
                    case let .failure(message):
                        companions.forEach { $0.close() }
                        // On the loader path "not found" is the common case and says nothing new.
                        if folder != nil || !message.text.contains("No such file") { rejected.append("\(target) (\(message.text))") }
                        continue
                    }
                    if Self.isStub(candidate.path) {
                        candidate.close()
                        companions.forEach { $0.close() }
                        rejected.append("\(candidate.path) (a link-time stub, which runs nothing)")
                        continue
                    }
                    do {
                        return try accept(candidate)
                    } catch let message as LoaderMessage {
                        candidate.close()
                        companions.forEach { $0.close() }
                        rejected.append("\(candidate.path) (\(message.text))")
                    }
                }
            }
            return nil
        }
        let environment = (environmentFolders ?? []).map(Optional.some)
        if let value = try attempt(environment) { return value }
        if usesLoaderPath {
            places.append("on the loader path")
            if let value = try attempt([nil]) { return value }
        }
        places += folders.map { "in \($0)" }
        if let value = try attempt(folders) { return value }
        if usesPythonPackages, library != .driver {
            let sitePackages = PythonPackages.sitePackages()
            if sitePackages.isEmpty {
                places.append("in Python's site-packages (no python3 on PATH answered)")
            } else {
                places += sitePackages.map { "in \($0)/nvidia/*/lib" }
                if let value = try attempt(PythonPackages.nvidiaLibraryFolders(in: sitePackages)) { return value }
            }
        }
        places.append("in \(Self.environmentVariable) (\(environmentFolders.map { $0.isEmpty ? "empty" : $0.joined(separator: ":") } ?? "not set"))")
        throw RuntimeError.cudaLibraryNotFound(library, names: names, searched: places, rejected: rejected)
    }

    /// Opens the files of `folder` matching `patterns`, so that a library opened from there finds them by name.
    static func openCompanions(_ patterns: [String], in folder: String) -> [SharedLibrary] {
        var opened: [SharedLibrary] = []
        for pattern in patterns {
            var matches = glob_t()
            defer { globfree(&matches) }
            guard glob(folder + "/" + pattern, 0, nil, &matches) == 0 else { continue }
            for index in 0..<Int(matches.gl_pathc) {
                guard let path = matches.gl_pathv[index] else { continue }
                if case let .success(library) = SharedLibrary.open(String(cString: path)) { opened.append(library) }
            }
        }
        return opened
    }

    /// Whether `path` is inside a `stubs` folder (the toolkit's `lib64/stubs/libcuda.so`).
    static func isStub(_ path: String) -> Bool {
        path.split(separator: "/").dropLast().contains("stubs")
    }
}
