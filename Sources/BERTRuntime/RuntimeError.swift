/// Why a forward pass, a golden file or a comparison could not go ahead; `description` is one full sentence.
public enum RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Strict loading found a problem; the model cannot run. `problem` is the report's first problem.
    case incompleteModel(path: String, problem: String)
    /// The model or its configuration asks for something the runtime does not implement.
    case unsupported(reason: String)
    /// A stored tensor could not be widened to Float.
    case undecodableTensor(name: String, dtype: String)
    /// The batch is empty, ragged, or its mask and token types do not match the ids.
    case invalidInput(reason: String)
    /// An input id is not a row of the embedding table.
    case tokenOutOfRange(sequence: Int, position: Int, id: Int32, vocabularySize: Int)
    /// A token type id is not a row of the token-type embeddings.
    case tokenTypeOutOfRange(sequence: Int, position: Int, tokenType: Int32, typeVocabularySize: Int)
    /// The sequences are longer than the position embeddings.
    case sequenceTooLong(length: Int, maximum: Int)
    /// The sequences are shorter than the widest Conv1D kernel ('valid' padding leaves no window).
    case sequenceTooShort(length: Int, minimum: Int)
    /// A requested masked-LM position is outside its sequence.
    case positionOutOfRange(sequence: Int, position: Int, length: Int)
    /// A golden file is not `bertinspect.golden/1`.
    case goldenSchema(path: String, found: String)
    /// A golden file is not valid JSON or lacks a required member.
    case goldenMalformed(path: String, reason: String)
    /// A golden array has the wrong shape.
    case goldenShape(path: String, field: String, expected: String, actual: [Int])
    /// The compute backend failed (allocation, a library call).
    case backend(name: String, reason: String)
    /// A CUDA library was not found or not usable in any place looked in; `searched` holds phrases such as
    /// `on the loader path` and `in /usr/local/cuda/lib64`, `rejected` each file found but refused, with why.
    case cudaLibraryNotFound(CUDALibrary, names: [String], searched: [String], rejected: [String])
    /// The CUDA libraries load but cannot run anything here (no device, a too-old driver).
    case cudaUnusable(reason: String)
    /// A CUDA driver, cuBLAS or NVRTC call failed; `status` is the library's name and text for its result code.
    case cudaCall(function: String, status: String)
    /// NVRTC rejected the backend's kernel source; `log` is its compilation log.
    case kernelCompilation(architecture: String, log: String)
    /// An error about a model or an input that did not name the file it concerns, with that file's path.
    indirect case inFile(path: String, RuntimeError)

    /// What is wrong, without the sentence around it (for a caller that names the file itself).
    public var reason: String {
        switch self {
        case let .unsupported(reason): return reason
        case let .incompleteModel(_, problem): return problem
        default: return description
        }
    }

    /// The error as one sentence naming what to fix.
    public var description: String {
        switch self {
        case let .incompleteModel(path, problem):
            return "\(path): the model cannot run: \(problem)."
        case let .unsupported(reason):
            return "Unsupported model: \(reason)."
        case let .undecodableTensor(name, dtype):
            return "Tensor '\(name)' has dtype \(dtype), which cannot be widened to float32."
        case let .invalidInput(reason):
            return "Invalid input: \(reason)."
        case let .tokenOutOfRange(sequence, position, id, size):
            return "Sequence \(sequence), position \(position): token id \(id) is outside the vocabulary (0..<\(size))."
        case let .tokenTypeOutOfRange(sequence, position, type, size):
            return "Sequence \(sequence), position \(position): token type id \(type) is outside 0..<\(size) (type_vocab_size)."
        case let .sequenceTooLong(length, maximum):
            return "The sequences have \(length) tokens, more than max_position_embeddings (\(maximum))."
        case let .sequenceTooShort(length, minimum):
            return "The sequences have \(length) tokens, fewer than the widest Conv1D kernel (\(minimum))."
        case let .positionOutOfRange(sequence, position, length):
            return "Sequence \(sequence): masked-LM position \(position) is outside the sequence (length \(length))."
        case let .goldenSchema(path, found):
            return "\(path): schema is '\(found)', expected 'bertinspect.golden/1'."
        case let .goldenMalformed(path, reason):
            return "\(path): not a usable golden file: \(reason)."
        case let .goldenShape(path, field, expected, actual):
            return "\(path): '\(field)' has shape \(formatShape(actual)), expected \(expected)."
        case let .backend(name, reason):
            return "The \(name) backend failed: \(reason)."
        case let .cudaLibraryNotFound(library, names, searched, rejected):
            let opening = library == .driver ? "No CUDA device" : "The CUDA backend cannot start"
            let what = library == .driver ? listed(names, conjunction: "or") : "\(library.rawValue) (\(listed(names, conjunction: "or")))"
            let refused = rejected.isEmpty ? "" : "; found but refused: " + rejected.joined(separator: ", ")
            return "\(opening): \(what) was not found \(listed(searched, conjunction: "or"))\(refused)."
        case let .cudaUnusable(reason):
            return "No usable CUDA device: \(reason)."
        case let .cudaCall(function, status):
            return "The CUDA call \(function) failed with \(status)."
        case let .kernelCompilation(architecture, log):
            return "NVRTC could not compile the CUDA kernels for \(architecture): \(log)."
        case let .inFile(path, error):
            let text = error.description
            guard let first = text.first else { return path }
            return "\(path): " + first.lowercased() + text.dropFirst()
        }
    }
}

extension RuntimeError {
    /// Whether the error is about the CUDA device or its libraries rather than the model or its input.
    public var concernsDevice: Bool {
        switch self {
        case .cudaLibraryNotFound, .cudaUnusable, .cudaCall, .kernelCompilation: true
        case let .inFile(_, error): error.concernsDevice
        default: false
        }
    }

    /// The error with `path` attached when it does not already name a file (a model's or an input's problem).
    public func naming(_ path: String) -> RuntimeError {
        switch self {
        case .unsupported, .undecodableTensor, .invalidInput, .tokenOutOfRange, .tokenTypeOutOfRange, .sequenceTooLong,
             .sequenceTooShort, .positionOutOfRange, .backend:
            return .inFile(path: path, self)
        default:
            return self
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
func listed(_ items: [String], conjunction: String) -> String {
    guard let last = items.last else { return "" }
    return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
}

/// `[3, 8, 32]`
func formatShape(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
