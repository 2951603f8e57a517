/// Why an HDF5 checkpoint could not be read or written; `description` is one sentence naming the file.
public enum HDF5Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libhdf5 call failed; `message` is HDF5's own error text.
    case call(path: String, function: String, message: String)
    /// The file asks for something bertinspect refuses to do (follow a link out, read external storage).
    case unsafe(path: String, reason: String)
    /// The file's structure contradicts itself or exceeds what the file can hold.
    case malformed(path: String, reason: String)
    /// A valid HDF5 construct that bertinspect does not read.
    case unsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case let .call(path, function, message): return "\(path): HDF5 call \(function) failed: \(message)."
        case let .unsafe(path, reason): return "\(path): refused: \(reason)."
        case let .malformed(path, reason): return "\(path): malformed HDF5 checkpoint: \(reason)."
        case let .unsupported(path, reason): return "\(path): unsupported HDF5 content: \(reason)."
        }
    }
}
