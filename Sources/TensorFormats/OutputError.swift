#if canImport(Glibc)
import Glibc
#endif

/// Why an output could not be written; the input is never the problem here (exit code 5, not 3).
/// `description` is one sentence naming the output.
public enum OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The output exists (a dangling symbolic link counts) and overwriting was not asked for.
    case exists(path: String)
    /// The output exists and is not a regular file (a device, a FIFO, a socket, a folder where a file is meant).
    case notRegularFile(path: String, kind: String)
    /// The file system is full (ENOSPC), or the process's file size limit was reached (EFBIG).
    case noSpace(path: String, reason: String)
    /// Any other failure to create, write, flush, close or rename; `reason` is the system's explanation.
    case cannotWrite(path: String, reason: String)
    /// The output would replace the input it is made from.
    case replacesInput(path: String)

    public var description: String {
        switch self {
        case let .exists(path): return "\(path): the output already exists (use --force to overwrite it)."
        case let .notRegularFile(path, kind): return "\(path): the output exists and is \(kind), not a regular file; refused."
        case let .noSpace(path, reason): return "\(path): cannot write the output: \(reason); nothing was written."
        case let .cannotWrite(path, reason): return "\(path): cannot write the output: \(reason); nothing was written."
        case let .replacesInput(path): return "\(path): the output would replace the input it is made from; give another -o."
        }
    }

    /// The error for a failed system call on `path`, from the current `errno`.
    static func fromErrno(_ path: String, _ what: String) -> OutputError {
        let code = errno
        let text = systemError()
        switch code {
        case ENOSPC, EDQUOT: return .noSpace(path: path, reason: "no space left on device (\(what))")
        case EFBIG: return .noSpace(path: path, reason: "the file size limit was reached (\(what): \(text))")
        default: return .cannotWrite(path: path, reason: "\(what) failed: \(text)")
        }
    }
}
