import TensorFormats

/// Everything strict loading found, collected before any decision so a summary can show it all at once.
public struct LoadReport: Sendable, Equatable {
    /// Expected parameters the checkpoint does not hold: canonical name and the stored name looked for.
    public var missing: [(parameter: String, storedName: String)] = []
    /// Stored tensors nothing uses.
    public var unexpected: [String] = []
    /// Parameters whose stored shape is not the one the configuration implies.
    public var shapeMismatches: [(storedName: String, expected: [Int], actual: [Int])] = []
    /// Parameters stored with a non-floating-point dtype.
    public var dtypeMismatches: [(storedName: String, dtype: DType)] = []
    /// Buffers that are not parameters (`position_ids`): accepted, reported, never counted.
    public var ignoredBuffers: [String] = []
    /// Second copies of a tied weight (the MLM decoder, Keras' shared embeddings): not counted twice.
    public var tiedCopies: [String] = []
    /// Layers without weights (dropout, pooling, input).
    public var weightlessLayers: [String] = []
    /// Other things that look wrong: a freshly initialised head, assumed configuration, config.json disagreeing.
    public var warnings: [String] = []
    /// Whether config.json was ignored because it describes another kind of model (its `model_type` is not bert).
    public var ignoredConfig = false

    public init() {}

    /// Whether every expected parameter is present with the right shape and a floating-point dtype.
    public var isComplete: Bool { missing.isEmpty && shapeMismatches.isEmpty && dtypeMismatches.isEmpty }

    /// One line per problem that makes the model unusable, in the style of the summary's warnings.
    public var problems: [String] {
        missing.map { "missing parameter '\($0.parameter)' (looked for '\($0.storedName)')" }
            + shapeMismatches.map { "tensor '\($0.storedName)' has shape \(format($0.actual)), expected \(format($0.expected))" }
            + dtypeMismatches.map { "tensor '\($0.storedName)' has dtype \($0.dtype.rawValue), expected a floating-point type" }
    }

    public static func == (lhs: LoadReport, rhs: LoadReport) -> Bool {
        lhs.problems == rhs.problems && lhs.unexpected == rhs.unexpected && lhs.ignoredBuffers == rhs.ignoredBuffers
            && lhs.tiedCopies == rhs.tiedCopies && lhs.weightlessLayers == rhs.weightlessLayers && lhs.warnings == rhs.warnings
    }
}

/// `[8, 16]`
func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
