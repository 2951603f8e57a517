/// Why a checkpoint could not be understood as a BERT model; `description` is one sentence naming the file.
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tensors do not form a model bertinspect knows.
    case unsupported(path: String, reason: String)
    /// The model is incomplete or inconsistent (strict loading failed); the first problem is named.
    case incomplete(path: String, problem: String)
    /// config.json or a Keras model_config could not be used.
    case invalidConfig(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupported(path, reason): return "\(path): unsupported checkpoint: \(reason)."
        case let .incomplete(path, problem): return "\(path): \(problem)."
        case let .invalidConfig(path, reason): return "\(path): invalid configuration: \(reason)."
        }
    }
}
