/// What a writer is asked to produce: output tensors, each taken from a stored tensor of a source store with an
/// element type and layout change, plus format-level grouping and metadata. Writers know no model.
public struct WritePlan: Sendable {
    /// One output tensor.
    public struct Entry: Sendable {
        /// Output name (a safetensors key, or an HDF5 dataset path `group/weight_name`).
        public var name: String
        public var dtype: DType
        /// Shape in the output layout.
        public var shape: [Int]
        /// The stored tensor it is made from.
        public var source: StoredTensor
        /// How the source's axes map to the output's.
        public var layout: LayoutChange

        public init(name: String, dtype: DType, shape: [Int], source: StoredTensor, layout: LayoutChange) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.source = source
            self.layout = layout
        }

        public var byteCount: Int { shape.reduce(1, *) * dtype.size }

        /// Whether the output bytes are the source bytes unchanged.
        public var isVerbatim: Bool {
            dtype == source.dtype && (layout == .none || layout == .permute(Array(0..<shape.count)))
        }
    }

    public var entries: [Entry]
    /// HDF5 only: Keras layer groups (name and the `weight_names` it lists), in `layer_names` order.
    public var groups: [LayerGroup]
    /// safetensors `__metadata__`, or HDF5 root string attributes.
    public var metadata: [String: String]
    /// HDF5 only: the group holding the layers (`model_weights` for a Keras full-model save), or nil for the root.
    public var weightsGroup: String?
    /// HDF5 only: write the Keras 3 layout instead of Keras 2's: these `vars` groups (path, `name` attribute), no
    /// `layer_names`/`weight_names`; entries are named by their dataset paths (`cnn_layer1/vars/0`).
    public var keras3Groups: [(path: String, name: String?)]?

    public init(entries: [Entry], groups: [LayerGroup] = [], metadata: [String: String] = [:], weightsGroup: String? = nil) {
        self.entries = entries
        self.groups = groups
        self.metadata = metadata
        self.weightsGroup = weightsGroup
    }

    /// Bytes of the largest output tensor, for sizing one reusable buffer.
    public var largestEntry: Int { entries.map(\.byteCount).max() ?? 0 }
}

/// A streaming writer of one checkpoint format.
public protocol CheckpointWriter {
    /// Writes `plan` with data read from `store` to `file`'s temporary path (not committed).
    /// Returns the number of values that overflowed to infinity when narrowing.
    func write(_ plan: WritePlan, from store: any TensorStore, to file: AtomicFile) throws -> Int
}

extension WritePlan.Entry {
    /// Elements converted per piece by `stream` (4 MiB of float32).
    public static let streamChunk = 1 << 20

    /// This 2-D entry with its output transposed (`[out, in]` → `[in, out]`): the transposition composed with the
    /// entry's own layout change, so that a source already in the transposed layout is moved as it is.
    public var transposedEntry: WritePlan.Entry {
        var entry = self
        entry.shape = shape.reversed()
        entry.layout = keepsOrder ? .permute([1, 0]) : .none
        return entry
    }

    /// Bytes of buffer `stream` needs: one piece when the elements keep their order, the whole tensor otherwise.
    public var streamBufferBytes: Int {
        keepsOrder ? min(shape.reduce(1, *), Self.streamChunk) * dtype.size : byteCount
    }

    /// Whether the output keeps the source's element order (no axis moves).
    public var keepsOrder: Bool {
        guard case let .permute(order) = layout else { return true }
        return order == Array(0..<order.count)
    }

    /// Produces this entry's bytes piece by piece, in order; each piece holds a whole number of `granule` elements
    /// (Q8_0 blocks need 32). An entry that keeps its element order is read and converted `streamChunk` elements
    /// at a time, and the source's pages are let go as it goes, so memory holds one piece rather than the tensor (a
    /// bert-base word embedding is 89 MB); a permuted entry is rendered whole into `buffer` (at least `byteCount`
    /// long). Returns the number of values that overflowed to infinity.
    public func stream(from store: any TensorStore, buffer: UnsafeMutableRawBufferPointer, granule: Int = 1,
                       _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        guard keepsOrder else {
            let overflows = try render(from: store, into: buffer)
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount]))
            return overflows
        }
        let count = shape.reduce(1, *)
        let chunk = max(granule, Self.streamChunk / granule * granule)
        var overflows = 0
        try store.withBytes(of: source) { bytes in
            var start = 0
            while start < count {
                let end = min(count, start + chunk)
                let piece = UnsafeRawBufferPointer(rebasing: bytes[(start * source.dtype.size)..<(end * source.dtype.size)])
                if source.dtype == dtype {
                    try body(piece)
                } else {
                    overflows += transformTensor(piece, from: source.dtype, shape: [end - start], layout: .none, to: dtype, into: buffer)
                    try body(UnsafeRawBufferPointer(rebasing: buffer[0..<((end - start) * dtype.size)]))
                }
                store.discardPages(of: source)
                start = end
            }
        }
        store.discardPages(of: source)
        return overflows
    }

    /// Produces this entry's bytes into `buffer` (at least `byteCount` long); returns overflow count.
    public func render(from store: any TensorStore, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let overflows = try store.withBytes(of: source) { bytes in
            transformTensor(bytes, from: source.dtype, shape: source.shape, layout: layout, to: dtype, into: buffer)
        }
        store.discardPages(of: source)
        return overflows
    }
}
