/// Why a checkpoint could not be understood as a BERT model; `description` is one sentence naming the file.
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tensors do not form a model bertinspect knows.
    case unsupported(path: String, reason: String)
    /// The model is incomplete or inconsistent (strict loading failed); the first problem is named.
    case incomplete(path: String, problem: String)
    /// config.json or a Keras model_config could not be used.
    case invalidConfig(path: String, reason: String)
    /// A layer specification (`--layers`) names nothing in the model; `valid` lists what it may name.
    case unknownLayer(spec: String, valid: [String])

    /// Whether the error is a command-line mistake (an unknown layer name) rather than a problem of the file.
    public var isUnknownLayer: Bool {
        if case .unknownLayer = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .unsupported(path, reason): return "\(path): unsupported checkpoint: \(reason)."
        case let .incomplete(path, problem): return "\(path): \(problem)."
        case let .invalidConfig(path, reason): return "\(path): invalid configuration: \(reason)."
        case let .unknownLayer(spec, valid): return "'\(spec)' names no layer of this model; valid names: \(valid.joined(separator: ", "))"
        }
    }
}
