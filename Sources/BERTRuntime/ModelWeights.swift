import BERTGraph
import TensorFormats

/// An owned float32 allocation that keeps widened or copied weights alive.
final class FloatStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        base = .allocate(capacity: max(count, 1))
        self.count = count
    }

    deinit { base.deallocate() }
}

/// One parameter as float32 values in host memory, in the layout the checkpoint stores it.
public struct WeightTensor: Sendable {
    /// The parameter (canonical name, PyTorch-layout shape, kind).
    public var spec: ParameterSpec
    /// Shape as stored (TF kernels `[in, out]`, Keras Conv1D `[width, in, out]`).
    public var storedShape: [Int]
    /// Whether the stored layout differs from PyTorch's (a TF / Keras kernel).
    public var isTransposed: Bool
    /// The values, in the stored layout.
    public var values: HostFloats
    /// Whether `values` points into the mapped checkpoint (float32, aligned) rather than a copy.
    public var isMapped: Bool
}

/// Every bound parameter of a model, loaded once as float32.
///
/// float32 tensors the store maps (safetensors, contiguous HDF5 datasets) are used in place when aligned; everything
/// else is copied once (unaligned or non-contiguous data) or widened once (f16, bf16, f64).
public struct ModelWeights: Sendable {
    /// Weights by canonical name (`bert.encoder.layer.0.attention.self.query.weight`, `conv1d.weight`).
    public let tensors: [String: WeightTensor]
    /// Keeps the mapped checkpoint alive while weights point into it.
    let store: any TensorStore

    /// Loads every bound parameter of `model` from `store`; refuses a model that strict loading found incomplete.
    public init(model: BERTModel, store: any TensorStore) throws {
        guard model.report.isComplete else {
            throw RuntimeError.incompleteModel(path: store.path, problem: model.report.problems.first ?? "the model is incomplete")
        }
        self.store = store
        var tensors: [String: WeightTensor] = [:]
        for parameter in model.parameters {
            let (values, mapped) = try Self.load(parameter.stored, from: store)
            tensors[parameter.spec.name] = WeightTensor(
                spec: parameter.spec, storedShape: parameter.stored.shape, isTransposed: model.naming.isTransposed(parameter.spec),
                values: values, isMapped: mapped)
        }
        self.tensors = tensors
    }

    /// The checkpoint the weights come from, for messages.
    public var path: String { store.path }

    /// The weight called `name`.
    public subscript(name: String) -> WeightTensor? { tensors[name] }

    /// How many weights are used in place from the mapped file, and how many were copied or widened.
    public var mappedCount: Int { tensors.values.filter(\.isMapped).count }

    /// Float values of `tensor`: in place when the store maps float32 data aligned, otherwise a copy.
    static func load(_ tensor: StoredTensor, from store: any TensorStore) throws -> (HostFloats, mapped: Bool) {
        let count = tensor.elementCount
        // Mapped views outlive this call; an HDF5 dataset that is not contiguous comes through a temporary buffer.
        let viewsAreStable = store.hasStableView(of: tensor)
        return try store.withBytes(of: tensor) { bytes -> (HostFloats, mapped: Bool) in
            guard bytes.count == count * tensor.dtype.size else {
                throw RuntimeError.undecodableTensor(name: tensor.name, dtype: tensor.dtype.rawValue)
            }
            #if _endian(little)
            if tensor.dtype == .f32, viewsAreStable, let base = bytes.baseAddress,
               Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return (HostFloats(base: base.assumingMemoryBound(to: Float.self), count: count, owner: store), true)
            }
            #endif
            let storage = FloatStorage(count: count)
            try widen(bytes, dtype: tensor.dtype, count: count, into: storage.base, name: tensor.name)
            return (HostFloats(base: storage.base, count: count, owner: storage), false)
        }
    }

    /// Writes `count` little-endian values of `dtype` from `bytes` (any alignment) as float32.
    static func widen(_ bytes: UnsafeRawBufferPointer, dtype: DType, count: Int, into target: UnsafeMutablePointer<Float>,
                      name: String) throws {
        switch dtype {
        case .f32:
            #if _endian(little)
            if count > 0 { UnsafeMutableRawPointer(target).copyMemory(from: bytes.baseAddress!, byteCount: count * 4) }
            #else
            for i in 0..<count {
                target[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
            #endif
        case .f16:
            for i in 0..<count {
                target[i] = halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                target[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .f64:
            for i in 0..<count {
                target[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        default:
            throw RuntimeError.undecodableTensor(name: name, dtype: dtype.rawValue)
        }
    }
}
