/// One tensor as a checkpoint file stores it: its stored name, element type and shape, with no meaning attached.
public struct StoredTensor: Sendable, Hashable {
    /// The name under which the file stores the tensor (a safetensors key or an HDF5 dataset path).
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Index of the file that holds it, for sharded checkpoints (0 otherwise).
    public var shard: Int

    public init(name: String, dtype: DType, shape: [Int], shard: Int = 0) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.shard = shard
    }

    /// Number of elements (product of the shape; validated against overflow when the file was read).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Size of the tensor's data in bytes.
    public var byteCount: Int { elementCount * dtype.size }
}

/// Product of `shape` times `elementSize`, or nil when any dimension is negative or the product overflows.
public func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = elementSize
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    return total
}
