import BERTGraph

/// Where a model runs, as asked: the CPU, CUDA, or CUDA when a usable device is found and the CPU otherwise.
public enum DeviceChoice: String, Sendable, CaseIterable {
    case cpu, cuda, auto
}

/// A model prepared to run: the forward pass on the device it got, and that device's name (`cpu`, `cuda`).
public struct PreparedModel {
    public var runner: any ModelRunner
    public var deviceName: String

    /// Prepares `model` with `weights` on `device`: `.cuda` throws the device error when CUDA is unusable (the
    /// error's `concernsDevice` is true), `.auto` falls back to the CPU. `threads` sets OpenBLAS's thread count on
    /// the CPU; `tf32` lets cuBLAS round matrix-product inputs to TF32. Model errors name `path`.
    public init(model: BERTModel, weights: ModelWeights, device: DeviceChoice, threads: Int?, tf32: Bool, path: String) throws {
        if device != .cpu {
            do {
                runner = try ForwardPass(model: model, weights: weights, backend: try CUDABackend(tf32: tf32))
                deviceName = "cuda"
                return
            } catch let error as RuntimeError where error.concernsDevice {
                if device == .cuda { throw error }
            } catch let error as RuntimeError {
                throw error.naming(path)
            }
        }
        if let threads { setThreadCount(threads) }
        do {
            runner = try ForwardPass(model: model, weights: weights, backend: try CPUBackend())
        } catch let error as RuntimeError {
            throw error.naming(path)
        }
        deviceName = "cpu"
    }
}
