import TensorFormats

/// What the weights of a checkpoint look like, tensor by tensor, and what looks wrong: a head that was never trained,
/// tensors that are all zeros or constant, NaN or Inf values, a projection whose scale is far from its siblings'.
///
/// Streamed: each tensor is decoded in chunks of at most `chunkElements` values and its pages released afterwards, so
/// memory stays flat whatever the model's size.
public struct WeightStatistics: Sendable {
    public static let schema = "bertinspect.stats/1"
    /// Histogram bins per tensor, over [min, max] of its finite values.
    public static let bins = 16
    static let chunkElements = 1 << 18

    /// One parameter's summary statistics over its finite values.
    public struct Tensor: Sendable {
        /// Canonical (PyTorch) name.
        public var name: String
        public var storedName: String
        public var shape: [Int]
        public var dtype: DType
        public var kind: ParameterKind
        public var count: Int
        public var mean: Double
        public var std: Double
        public var min: Double
        public var max: Double
        public var zeros: Int
        public var nans: Int
        public var infinities: Int
        /// `bins` counts over [min, max]; all in the first bin when min == max.
        public var histogram: [Int]
        public var finite: Int { count - nans - infinities }
    }

    /// Something about the weights worth a look.
    public struct Finding: Sendable, Equatable {
        public enum Kind: String, Sendable { case freshHead = "fresh_head", allZero = "all_zero", constant, nonFinite = "non_finite", outlierScale = "outlier_scale" }
        public var kind: Kind
        /// The tensor, or the head (`classifier`) for `freshHead`.
        public var subject: String
        public var message: String
    }

    public var tensors: [Tensor]
    public var findings: [Finding]

    /// Reads every parameter of `model` from `store`.
    public init(model: BERTModel, store: any TensorStore) throws {
        var tensors: [Tensor] = []
        var buffer = [Float](repeating: 0, count: Self.chunkElements)
        for parameter in model.parameters {
            tensors.append(try Self.statistics(of: parameter, store: store, buffer: &buffer))
            store.discardPages(of: parameter.stored)
        }
        self.tensors = tensors
        findings = Self.findings(tensors, model: model)
    }

    /// Two passes over the tensor's values, decoded to Float chunk by chunk: moments and extremes, then the histogram.
    static func statistics(of parameter: BoundParameter, store: any TensorStore, buffer: inout [Float]) throws -> Tensor {
        let stored = parameter.stored
        var result = Tensor(
            name: parameter.spec.name, storedName: stored.name, shape: parameter.spec.shape, dtype: stored.dtype, kind: parameter.spec.kind,
            count: stored.elementCount, mean: 0, std: 0, min: .infinity, max: -.infinity, zeros: 0, nans: 0, infinities: 0,
            histogram: [Int](repeating: 0, count: bins))
        let size = stored.dtype.size
        try store.withBytes(of: stored) { bytes in
            func forEachChunk(_ body: (UnsafeBufferPointer<Float>) -> Void) {
                var start = 0
                while start < stored.elementCount {
                    let count = Swift.min(chunkElements, stored.elementCount - start)
                    let source = UnsafeRawBufferPointer(rebasing: bytes[(start * size)..<((start + count) * size)])
                    buffer.withUnsafeMutableBytes { output in
                        _ = transformTensor(source, from: stored.dtype, shape: [count], layout: .none, to: .f32, into: output)
                    }
                    buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                    start += count
                }
            }
            // Pass 1: sum, extremes and counts. Pass 2: squared deviations from the mean (exact where E[x²] − μ² cancels,
            // as for a LayerNorm scale near 1) and the histogram.
            var sum = 0.0
            var low = Float.infinity, high = -Float.infinity
            var zeros = 0, nans = 0, infinities = 0
            forEachChunk { values in
                // Float partial sums over 256 values, added into a Double. The common case (a block of finite values)
                // runs branch-free so the compiler can vectorise it; a block whose sum is not finite is redone value by value.
                let p = values.baseAddress!
                var start = 0
                while start < values.count {
                    let end = Swift.min(start + 256, values.count)
                    var block: Float = 0, blockLow = Float.infinity, blockHigh = -Float.infinity
                    var blockZeros = 0
                    for i in start..<end {
                        let value = p[i]
                        block += value
                        blockLow = value < blockLow ? value : blockLow
                        blockHigh = value > blockHigh ? value : blockHigh
                        blockZeros &+= value == 0 ? 1 : 0
                    }
                    if block.isFinite && blockLow.isFinite && blockHigh.isFinite {
                        sum += Double(block)
                        low = Swift.min(low, blockLow)
                        high = Swift.max(high, blockHigh)
                        zeros += blockZeros
                    } else {
                        var slow: Float = 0
                        for i in start..<end {
                            let value = p[i]
                            if value.isFinite {
                                slow += value
                                low = Swift.min(low, value)
                                high = Swift.max(high, value)
                                if value == 0 { zeros += 1 }
                            } else if value.isNaN {
                                nans += 1
                            } else {
                                infinities += 1
                            }
                        }
                        sum += Double(slow)
                    }
                    start = end
                }
            }
            result.zeros = zeros
            result.nans = nans
            result.infinities = infinities
            let finite = stored.elementCount - nans - infinities
            guard finite > 0 else { return }
            let mean = sum / Double(finite)
            result.mean = mean
            result.min = Double(low)
            result.max = Double(high)
            let width = high - low
            let scale = width > 0 ? Float(bins) / width : 0
            let center = Float(mean)
            // Four interleaved copies of the histogram, so that consecutive values in one bin do not wait on each
            // other's increment; summed at the end.
            var histogram = [Int](repeating: 0, count: 4 * bins)
            var deviations = 0.0
            let last = Float(bins - 1)
            histogram.withUnsafeMutableBufferPointer { counts in
                let allFinite = nans + infinities == 0
                forEachChunk { values in
                    let p = values.baseAddress!
                    var start = 0
                    while start < values.count {
                        let end = Swift.min(start + 256, values.count)
                        var block: Float = 0
                        for i in start..<end {
                            let value = p[i]
                            guard allFinite || value.isFinite else { continue }
                            let d = value - center
                            block += d * d
                            var position = (value - low) * scale
                            position = position < last ? position : last
                            position = position > 0 ? position : 0
                            counts[Int(position) &* 4 &+ (i & 3)] &+= 1
                        }
                        deviations += Double(block)
                        start = end
                    }
                }
            }
            // The mean in Float shifts every deviation by the same δ: Σ(x − μ)² = Σ(x − c)² − n(c − μ)².
            let shift = Double(center) - mean
            deviations = Swift.max(0, deviations - Double(finite) * shift * shift)
            result.histogram = (0..<bins).map { histogram[4 * $0] + histogram[4 * $0 + 1] + histogram[4 * $0 + 2] + histogram[4 * $0 + 3] }
            result.std = (deviations / Double(finite)).squareRoot()
        }
        return result
    }

    /// The findings, in tensor order, heads first.
    static func findings(_ tensors: [Tensor], model: BERTModel) -> [Finding] {
        var findings: [Finding] = []
        // A head left as initialised: N(0, 0.02)-like weights (transformers' and Keras' TruncatedNormal(0.02)) and zero biases.
        let range = 0.02  // BERT's initializer_range in every release and in transformers' default
        var heads: [String: [Tensor]] = [:]
        var headOrder: [String] = []
        for tensor in tensors where !tensor.name.hasPrefix("bert.") {
            let head = tensor.name.split(separator: ".").dropLast().joined(separator: ".")
            if heads[head] == nil { headOrder.append(head) }
            heads[head, default: []].append(tensor)
        }
        for head in headOrder {
            let members = heads[head]!
            let weights = members.filter { $0.kind == .linearWeight || $0.kind == .conv1dWeight }
            let biases = members.filter { $0.kind == .bias }
            guard !weights.isEmpty, !biases.isEmpty,
                  weights.allSatisfy({ $0.std >= 0.6 * range && $0.std <= 1.25 * range && abs($0.mean) < 0.25 * range }),
                  biases.allSatisfy({ $0.zeros == $0.count })
            else { continue }
            findings.append(Finding(
                kind: .freshHead, subject: head,
                message: "\(head) looks freshly initialised (weights std \(significant(weights[0].std)), about initializer_range \(significant(range)); biases all zero): was it trained?"))
        }
        // The scale of each projection against the median of its kind in the encoder.
        let projections = tensors.filter { $0.kind == .linearWeight && $0.name.hasPrefix("bert.encoder.") && $0.std > 0 }
        let median = projections.map(\.std).sorted().dropFirst(projections.count / 2).first
        for tensor in tensors {
            if tensor.nans + tensor.infinities > 0 {
                findings.append(Finding(kind: .nonFinite, subject: tensor.name, message: "\(tensor.name) holds \(tensor.nans) NaN and \(tensor.infinities) infinite value(s)"))
            }
            if tensor.count > 1, tensor.zeros == tensor.count, tensor.kind != .bias, tensor.kind != .normBias {
                findings.append(Finding(kind: .allZero, subject: tensor.name, message: "\(tensor.name) is all zeros"))
            } else if tensor.count > 1, tensor.finite == tensor.count, tensor.min == tensor.max, tensor.zeros != tensor.count {
                let note = tensor.kind == .normWeight && tensor.min == 1 ? " (a LayerNorm at its initial value: untrained?)" : ""
                findings.append(Finding(kind: .constant, subject: tensor.name, message: "\(tensor.name) is constant, every value \(significant(tensor.min))\(note)"))
            }
            if let median, tensor.kind == .linearWeight, tensor.name.hasPrefix("bert.encoder."), tensor.std > 10 * median || tensor.std < median / 10 {
                findings.append(Finding(
                    kind: .outlierScale, subject: tensor.name,
                    message: "\(tensor.name) has std \(significant(tensor.std)), \(tensor.std > median ? "over 10×" : "under 1/10 of") the median \(significant(median)) of the encoder's projections"))
            }
        }
        return findings
    }

    /// The versioned JSON form.
    public func json(path: String) -> JSONValue {
        func number(_ value: Double) -> JSONValue { value.isFinite ? .number(value) : .null }
        return .object([
            ("schema", .string(Self.schema)), ("path", .string(path)),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)), ("stored_name", .string(t.storedName)), ("dtype", .string(t.dtype.rawValue)),
                    ("shape", .array(t.shape.map { .integer(Int64($0)) })), ("count", .integer(Int64(t.count))),
                    ("mean", number(t.mean)), ("std", number(t.std)), ("min", number(t.min)), ("max", number(t.max)),
                    ("zeros", .integer(Int64(t.zeros))), ("nan", .integer(Int64(t.nans))), ("inf", .integer(Int64(t.infinities))),
                    ("histogram", .array(t.histogram.map { .integer(Int64($0)) })),
                ])
            })),
            ("findings", .array(findings.map {
                .object([("kind", .string($0.kind.rawValue)), ("subject", .string($0.subject)), ("message", .string($0.message))])
            })),
        ])
    }
}
