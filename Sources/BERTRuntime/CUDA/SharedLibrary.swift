#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened with `dlopen`, kept loaded for the life of the process.
///
/// The CUDA backend links nothing at build time: each library is opened here and each function it calls is looked up
/// by name and cast to a typed `@convention(c)` pointer. Libraries are never closed, so the pointers stay valid.
final class SharedLibrary: @unchecked Sendable {
    /// The handle `dlopen` returned; immutable.
    private let handle: UnsafeMutableRawPointer
    /// The name or path it was opened by.
    let name: String
    /// The file the loader actually mapped (resolved through `dladdr`), or `name` when that is unknown.
    let path: String

    private init(handle: UnsafeMutableRawPointer, name: String, path: String) {
        self.handle = handle
        self.name = name
        self.path = path
    }

    /// Opens `name` (a bare file name searches the loader path; a path opens that file); `probe`, a function the
    /// library exports, tells which file the loader mapped.
    ///
    /// Returns the loader's reason (`dlerror`) when it cannot be opened.
    static func open(_ name: String, probe: String? = nil) -> Result<SharedLibrary, LoaderMessage> {
        _ = dlerror()
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoaderMessage(text: dlerror().map { String(cString: $0) } ?? "dlopen failed"))
        }
        return .success(SharedLibrary(handle: handle, name: name, path: probe.flatMap { mappedPath(of: dlsym(handle, $0)) } ?? name))
    }

    /// Unloads a library that was rejected before any of its functions were handed out, so that a later library of
    /// the same name (a driver after a stub) is not matched to it by the loader.
    func close() {
        dlclose(handle)
    }

    /// The function called `symbol`, cast to its C type `T`; a library without it is rejected.
    func function<T>(_ symbol: String, as type: T.Type = T.self) throws(LoaderMessage) -> T {
        guard let address = optionalFunction(symbol, as: type) else {
            throw LoaderMessage(text: "it does not export \(symbol): too old, or not the library its name says")
        }
        return address
    }

    /// The function called `symbol`, or nil when the library does not export it (an optional, newer entry point).
    func optionalFunction<T>(_ symbol: String, as type: T.Type = T.self) -> T? {
        guard let address = dlsym(handle, symbol) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    /// The file a loaded library came from: `dladdr` on any symbol of it.
    ///
    /// `dladdr` is a GNU extension the Glibc module does not import; it is looked up the same way as the CUDA
    /// functions.
    private static func mappedPath(of symbol: UnsafeMutableRawPointer?) -> String? {
        typealias DLAddress = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer) -> Int32
        guard let symbol, let dladdrSymbol = dlsym(nil, "dladdr") else { return nil }
        let dladdr = unsafeBitCast(dladdrSymbol, to: DLAddress.self)
        // glibc's Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr.
        var info: (UnsafePointer<CChar>?, UnsafeRawPointer?, UnsafePointer<CChar>?, UnsafeRawPointer?) = (nil, nil, nil, nil)
        let found = withUnsafeMutableBytes(of: &info) { dladdr(symbol, $0.baseAddress!) }
        guard found != 0, let file = info.0 else { return nil }
        return String(cString: file)
    }
}

/// The dynamic loader's reason for refusing a library (`dlerror`).
struct LoaderMessage: Error {
    var text: String
}
