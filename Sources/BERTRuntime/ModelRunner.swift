import BERTGraph

/// A prepared model that runs batches, whatever backend it runs on, so a command can pick the backend at run time
/// and hold `any ModelRunner`.
public protocol ModelRunner: Sendable {
    /// The backend's name for reports (`CPU (OpenBLAS Haswell)`).
    var backendName: String { get }
    /// What the model computes.
    var architecture: Architecture { get }
    /// Runs one batch and returns every output the architecture has.
    func run(_ input: EncoderInput) throws -> ModelOutputs
    /// Matrix-product operations of one `run` (see `FLOPCount`).
    func flopCount(batch: Int, sequenceLength: Int, maskedLMPositions: Int) -> Int
}

extension ForwardPass: ModelRunner {
    /// The backend's name.
    public var backendName: String { backend.name }
}
