/// A dense row-major float32 array with its shape: what a forward pass returns and a golden file records.
public struct FloatTensor: Sendable, Equatable {
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Values in row-major order.
    public var values: [Float]

    /// A tensor of `shape` holding `values`; the count must equal the product of the shape.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Number of values.
    public var count: Int { values.count }

    /// Index of the largest value in each row of the last axis (first on ties).
    public func argmaxAlongLastAxis() -> [Int] {
        guard let width = shape.last, width > 0 else { return [] }
        return stride(from: 0, to: values.count, by: width).map { start in
            var best = start
            for i in start..<(start + width) where values[i] > values[best] { best = i }
            return best - start
        }
    }
}
