import TensorFormats

/// How two checkpoints of the same model differ, tensor by tensor, by canonical name and across formats.
public struct CheckpointDiff: Sendable {
    public static let schema = "bertinspect.diff/1"

    /// One parameter present in both checkpoints.
    public struct TensorDifference: Sendable {
        public var name: String
        public var shapeA: [Int]
        public var shapeB: [Int]
        public var dtypeA: DType
        public var dtypeB: DType
        /// Largest |a − b|; nil when the shapes differ.
        public var maxAbsDiff: Double?
        /// ‖a − b‖ / ‖b‖ (0 when both are zero).
        public var relativeL2: Double?
        /// a·b / (‖a‖‖b‖).
        public var cosine: Double?
        /// Whether it differs beyond the tolerance (or in shape).
        public var differs: Bool
    }

    /// A roll-up of the tensors under one module (`bert.embeddings`, `bert.encoder`, `classifier`).
    public struct GroupSummary: Sendable {
        public var name: String
        public var tensors: Int
        public var changed: Int
        public var maxAbsDiff: Double
        public var status: String { changed == 0 ? "unchanged" : "changed" }
    }

    public var atol: Double
    public var tensors: [TensorDifference]
    public var onlyInA: [String]
    public var onlyInB: [String]
    public var groups: [GroupSummary]

    /// Whether anything differs beyond `atol`, or exists on one side only.
    public var differs: Bool { !onlyInA.isEmpty || !onlyInB.isEmpty || tensors.contains(where: \.differs) }

    /// Compares every parameter of `a` with the parameter of the same canonical name in `b`, in PyTorch layout.
    public init(a: BERTModel, storeA: any TensorStore, b: BERTModel, storeB: any TensorStore, atol: Double) throws {
        self.atol = atol
        let namesB = Dictionary(b.parameters.map { ($0.spec.name, $0) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(a.parameters.map(\.spec.name))
        // Stored tensors that map to no parameter exist on one side only too: a diff that skipped them would call
        // two checkpoints equal when one carries data the other lacks.
        onlyInA = a.parameters.map(\.spec.name).filter { namesB[$0] == nil } + a.report.unexpected.map { $0 + " (stored, maps to no parameter)" }
        onlyInB = b.parameters.map(\.spec.name).filter { !namesA.contains($0) } + b.report.unexpected.map { $0 + " (stored, maps to no parameter)" }
        var results: [TensorDifference] = []
        for parameter in a.parameters {
            guard let other = namesB[parameter.spec.name] else { continue }
            var difference = TensorDifference(
                name: parameter.spec.name, shapeA: parameter.spec.shape, shapeB: other.spec.shape,
                dtypeA: parameter.stored.dtype, dtypeB: other.stored.dtype, differs: true)
            if parameter.spec.shape == other.spec.shape {
                let x = try Self.canonicalValues(parameter, naming: a.naming, store: storeA)
                let y = try Self.canonicalValues(other, naming: b.naming, store: storeB)
                var maximum = 0.0, squared = 0.0, normX = 0.0, normY = 0.0, dot = 0.0
                var nanMismatch = false
                for i in 0..<x.count {
                    let u = Double(x[i]), v = Double(y[i])
                    if u.isNaN || v.isNaN {
                        if u.isNaN != v.isNaN { nanMismatch = true }
                        continue
                    }
                    let d = u == v ? 0 : abs(u - v)
                    maximum = max(maximum, d)
                    squared += d * d
                    normX += u * u
                    normY += v * v
                    dot += u * v
                }
                difference.maxAbsDiff = nanMismatch ? .infinity : maximum
                difference.relativeL2 = normY > 0 ? (squared / normY).squareRoot() : (squared > 0 ? .infinity : 0)
                difference.cosine = normX > 0 && normY > 0 ? dot / (normX.squareRoot() * normY.squareRoot()) : (normX == normY ? 1 : 0)
                difference.differs = nanMismatch || maximum > atol
            }
            results.append(difference)
        }
        tensors = results
        var order: [String] = []
        var grouped: [String: GroupSummary] = [:]
        for difference in results {
            let key = Self.groupName(difference.name)
            if grouped[key] == nil {
                order.append(key)
                grouped[key] = GroupSummary(name: key, tensors: 0, changed: 0, maxAbsDiff: 0)
            }
            grouped[key]!.tensors += 1
            if difference.differs { grouped[key]!.changed += 1 }
            grouped[key]!.maxAbsDiff = max(grouped[key]!.maxAbsDiff, difference.maxAbsDiff ?? .infinity)
        }
        groups = order.map { grouped[$0]! }
    }

    /// `bert.encoder.layer.3.…` → `bert.encoder`; `classifier.weight` → `classifier`; `cls.predictions.…` → `cls.predictions`.
    static func groupName(_ name: String) -> String {
        let parts = name.split(separator: ".").map(String.init)
        if parts.count > 2, parts[0] == "bert" || parts[0] == "cls" { return parts[0] + "." + parts[1] }
        return parts[0]
    }

    /// The parameter's values as Float, in PyTorch layout.
    static func canonicalValues(_ parameter: BoundParameter, naming: NamingScheme, store: any TensorStore) throws -> [Float] {
        let stored = parameter.stored
        let layout = naming.layoutChange(for: parameter.spec, to: NamingScheme.pytorch)
        var values = [Float](repeating: 0, count: stored.elementCount)
        try store.withBytes(of: stored) { bytes in
            values.withUnsafeMutableBytes { _ = transformTensor(bytes, from: stored.dtype, shape: stored.shape, layout: layout, to: .f32, into: $0) }
        }
        return values
    }

    /// The versioned JSON form.
    public func json(pathA: String, pathB: String) -> JSONValue {
        // JSON numbers are numbers: a value that is not finite (a NaN on one side only, a zero reference) is null,
        // and the tensor's `note` says why.
        func number(_ value: Double?) -> JSONValue { value.map { $0.isFinite ? .number($0) : .null } ?? .null }
        func note(_ t: TensorDifference) -> JSONValue {
            if t.shapeA != t.shapeB { return .string("shapes differ") }
            if let m = t.maxAbsDiff, !m.isFinite { return .string("NaN on one side only") }
            if let r = t.relativeL2, !r.isFinite { return .string("B is all zeros, so the relative change is unbounded") }
            return .null
        }
        return .object([
            ("schema", .string(Self.schema)), ("a", .string(pathA)), ("b", .string(pathB)), ("atol", .number(atol)),
            ("differs", .bool(differs)),
            ("only_in_a", .array(onlyInA.map { .string($0) })), ("only_in_b", .array(onlyInB.map { .string($0) })),
            ("groups", .array(groups.map {
                .object([("name", .string($0.name)), ("tensors", .integer(Int64($0.tensors))), ("changed", .integer(Int64($0.changed))),
                         ("max_abs_diff", number($0.maxAbsDiff)), ("status", .string($0.status))])
            })),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)), ("shape_a", .array(t.shapeA.map { .integer(Int64($0)) })),
                    ("shape_b", .array(t.shapeB.map { .integer(Int64($0)) })), ("dtype_a", .string(t.dtypeA.rawValue)),
                    ("dtype_b", .string(t.dtypeB.rawValue)), ("max_abs_diff", number(t.maxAbsDiff)),
                    ("relative_l2", number(t.relativeL2)), ("cosine", number(t.cosine)), ("differs", .bool(t.differs)),
                    ("note", note(t)),
                ])
            })),
        ])
    }
}
