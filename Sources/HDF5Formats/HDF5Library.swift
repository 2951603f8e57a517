import CHDF5
internal import CSupport
import Synchronization

/// The one place where libhdf5 is called: every call's result is checked here and a failure becomes an
/// `HDF5Error` carrying the function name and HDF5's own error text. Automatic error printing is off.
///
/// libhdf5 (serial build) is not thread-safe, so every call is made under one lock, taken by the outermost call of
/// a thread (the writer reads source datasets while it holds the library: a nested call on the same thread).
enum HDF5Library {
    /// Whether libhdf5 has been initialised; guarded by the lock, which every outermost call holds.
    private static let state = Mutex(false)

    /// Longest a metadata call (open, walk, attributes) may run on a file of `fileSize` bytes, in milliseconds: the
    /// last resort against libhdf5 looping forever on some corrupt heaps. The work itself is bounded by counts
    /// (objects, attributes, depth, names: see `HDF5Reader`); walking the metadata of a bert-large checkpoint takes
    /// well under 0.1 s, and a legal file with 100,000 groups about a second, so the limit is 4 s plus 2 s per 100 MB.
    static func metadataTimeLimit(fileSize: Int) -> UInt32 {
        UInt32(clamping: 4000 + fileSize / 50_000_000 * 1000)
    }

    /// Runs `body` with libhdf5 initialised, error printing silenced, and the library lock held. While it runs, a
    /// fatal signal inside libhdf5, or running past `timeLimit` milliseconds (0: none), ends the process with exit code 3
    /// and a line naming `path` (CSupport's guard).
    static func withLibrary<R, E: Error>(path: String, timeLimit: UInt32, writing: Bool = false, memoryBudget: Int = 0,
                                         _ body: () throws(E) -> R) throws(E) -> R {
        let outermost = bertinspect_hdf5_depth_enter() == 0
        defer { bertinspect_hdf5_depth_leave() }
        guard outermost else { return try guarded(path: path, timeLimit: timeLimit, writing: writing, memoryBudget: memoryBudget, body) }
        var outcome: Result<R, E>?
        state.withLock { (initialized: inout Bool) in
            if !initialized {
                bertinspect_fault_guard_install()
                // No clean-up at exit: a file whose close failed (a full disk) must not be flushed again by libhdf5's
                // atexit handler, which then crashed; every handle is closed, and every close checked, before returning.
                H5dont_atexit()
                H5open()
                H5Eset_auto2(chdf5_error_default(), nil, nil)
                initialized = true
            }
            do throws(E) {
                outcome = .success(try guarded(path: path, timeLimit: timeLimit, writing: writing, memoryBudget: memoryBudget, body))
            } catch {
                outcome = .failure(error)
            }
        }
        return try outcome!.get()
    }

    /// Runs `body` inside the fault guard (which nests: the outermost call's file and limits count).
    private static func guarded<R, E: Error>(path: String, timeLimit: UInt32, writing: Bool, memoryBudget: Int,
                                             _ body: () throws(E) -> R) throws(E) -> R {
        bertinspect_hdf5_guard_enter(path, timeLimit, writing ? 1 : 0, memoryBudget)
        defer { bertinspect_hdf5_guard_leave() }
        return try body()
    }

    /// Opens libhdf5 (dlopen, on first use) or throws saying why it cannot be: the one thing an HDF5 file needs that
    /// the other formats do not.
    static func requireLibrary(path: String) throws(HDF5Error) {
        guard bertinspect_hdf5_available() == 0 else { return }
        throw .unsupported(path: path, reason: "reading HDF5 needs libhdf5 (Debian's libhdf5-103-1), which could not be loaded: \(String(cString: bertinspect_hdf5_failure()))")
    }

    /// Checks an `herr_t` result. The failing function's name comes from the loader (CHDF5), which records it.
    static func check(_ result: herr_t, path: String) throws(HDF5Error) {
        if result < 0 { throw failure(path: path) }
    }

    /// Checks an identifier result.
    static func check(id: hid_t, path: String) throws(HDF5Error) -> hid_t {
        if id < 0 { throw failure(path: path) }
        return id
    }

    /// Checks a count or size result (negative means failure).
    static func check<T: BinaryInteger>(count: T, path: String) throws(HDF5Error) -> Int {
        if count < 0 { throw failure(path: path) }
        return Int(count)
    }

    /// The error for the call that just failed: its name (recorded by the loader) and the innermost message of
    /// HDF5's error stack; the stack is cleared.
    static func failure(path: String) -> HDF5Error {
        let function = bertinspect_hdf5_take_failed_call().map { String(cString: $0) } ?? "libhdf5"
        final class Messages { var items: [String] = [] }
        let messages = Messages()
        let walker: H5E_walk2_t = { _, description, context in
            guard let description, let context else { return 0 }
            let box = Unmanaged<Messages>.fromOpaque(context).takeUnretainedValue()
            if let text = description.pointee.desc, text.pointee != 0 {
                box.items.append(String(cString: text))
            }
            return 0
        }
        let stack = H5Eget_current_stack()
        if stack >= 0 {
            _ = H5Ewalk2(stack, H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(messages).toOpaque())
            _ = H5Eclose_stack(stack)
        }
        var message = messages.items.last ?? "no further detail from HDF5"
        if bertinspect_hdf5_memory_limited() != 0, messages.items.contains(where: { $0.contains("memory allocation failed") || $0.contains("unable to allocate") }) {
            message += " (libhdf5 asked for more memory than bertinspect allows it while reading this file's structures: twice the file's size plus 256 MB)"
        }
        return .call(path: path, function: function, message: message)
    }
}

/// An HDF5 identifier that closes itself when released.
final class HDF5Handle {
    enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList, object }
    let id: hid_t
    let kind: Kind

    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit {
        switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .dataspace: H5Sclose(id)
        case .datatype: H5Tclose(id)
        case .attribute: H5Aclose(id)
        case .propertyList: H5Pclose(id)
        case .object: H5Oclose(id)
        }
    }
}
