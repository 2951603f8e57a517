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
        /// ‖a − b‖ / ‖b‖ (0 when both are zero): the size of the difference relative to B.
        public var relativeL2: Double?
        /// a·b / (‖a‖‖b‖).
        public var cosine: Double?
        /// Whether it differs beyond the tolerance (or in shape).
        public var differs: Bool
        /// Σ (a − b)², Σ a² over the finite pairs (0 when the shapes differ): the roll-ups' relative change.
        public var squaredDifference = 0.0
        public var squaredNormA = 0.0
        /// Elements (of A).
        public var parameters = 0
        /// Whether A's recorded (or given) frozen state covers it; nil when A records none.
        public var frozenInA: Bool?

        /// ‖B − A‖ / ‖A‖: how far B moved from A (what the roll-ups sum); nil when the shapes differ.
        public var relativeChange: Double? {
            guard shapeA == shapeB else { return nil }
            return squaredNormA > 0 ? (squaredDifference / squaredNormA).squareRoot() : (squaredDifference > 0 ? .infinity : 0)
        }
    }

    /// How rows are grouped in a roll-up.
    public enum Grouping: String, Sendable, CaseIterable {
        /// One row per tensor.
        case tensor
        /// `bert.embeddings`, `bert.encoder.layer.N`, `bert.pooler`, each head.
        case layer
        /// `bert.embeddings`, `bert.encoder`, `bert.pooler`, each head.
        case module
    }

    /// One row of a roll-up: the tensors of one group and how far they moved from A.
    public struct Row: Sendable {
        public var name: String
        /// Tensors compared (present in both).
        public var tensors: Int
        /// Parameters of the group present on one side only.
        public var onlyInA = 0
        public var onlyInB = 0
        public var changed: Int
        public var parameters: Int
        public var maxAbsDiff: Double
        /// ‖B − A‖ / ‖A‖ over the group (infinite when A is all zeros and B is not; nil when a shape differs).
        public var relativeChange: Double?
        /// Whether A's frozen state covers all (true), none (false) or part (nil, see `partlyFrozen`) of the group.
        public var frozenInA: Bool?
        public var partlyFrozen: Bool
    }

    /// What `--check-frozen` found: every tensor frozen in A must be bit-identical in B.
    public struct FrozenCheck: Sendable {
        /// The frozen module prefixes of A (`bert`, `bert.encoder.layer.0`).
        public var prefixes: [String]
        public var parameters: Int
        /// Frozen tensors that changed, are missing from B or changed shape.
        public var violations: [String]
        /// The layer rows (`--by layer` names) holding a violation.
        public var changedLayers: [String]
        public var holds: Bool { violations.isEmpty }
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
    /// The per-module roll-up of the compared tensors (`rows(by: .module)` without the rows of one-sided tensors).
    public var groups: [GroupSummary] {
        rows(by: .module).filter { $0.tensors > 0 }.map { GroupSummary(name: $0.name, tensors: $0.tensors, changed: $0.changed, maxAbsDiff: $0.maxAbsDiff) }
    }

    /// Whether anything differs beyond `atol`, or exists on one side only.
    public var differs: Bool { !onlyInA.isEmpty || !onlyInB.isEmpty || tensors.contains(where: \.differs) }

    /// The frozen module prefixes the comparison used for A (given, or recorded in A, or else in B), nil when neither
    /// records a frozen state.
    public var frozenPrefixes: [String]?
    /// Whether the frozen state is B's record, A having none: the usual order, A the pretrained file and B the
    /// fine-tuned one saved with its flags (a Keras full-model save, or a file `freeze` wrote). What was frozen while
    /// B was trained is what B records.
    public var frozenStateFromB = false

    /// Compares every parameter of `a` with the parameter of the same canonical name in `b`, in PyTorch layout.
    /// `frozen` overrides what the files record (module prefixes as `LayerSpec.resolve` returns them).
    public init(a: BERTModel, storeA: any TensorStore, b: BERTModel, storeB: any TensorStore, atol: Double, frozen: [[String]]? = nil) throws {
        let recorder: BERTModel? = frozen != nil ? nil : a.trainableRecorded ? a : b.trainableRecorded ? b : nil
        frozenStateFromB = frozen == nil && !a.trainableRecorded && b.trainableRecorded
        let trainable = Dictionary((recorder?.parameters ?? []).map { ($0.spec.name, $0.trainable) }, uniquingKeysWith: { x, _ in x })
        func isFrozen(_ parameter: BoundParameter) -> Bool? {
            if let frozen { return frozen.contains { parameter.spec.path.starts(with: $0) } }
            return recorder == nil ? nil : !(trainable[parameter.spec.name] ?? true)
        }
        frozenPrefixes = (frozen ?? recorder?.frozenPrefixes).map { $0.map { $0.joined(separator: ".") } }
        if let recorder, recorder.frozenPrefixes.isEmpty {
            // A Keras full model records `trainable` per layer, not as prefixes: name the layers it froze.
            var layers: [String] = []
            for parameter in recorder.parameters where !parameter.trainable && !layers.contains(parameter.layer) { layers.append(parameter.layer) }
            frozenPrefixes = layers
        }
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
            difference.parameters = parameter.spec.elementCount
            difference.frozenInA = isFrozen(parameter)
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
                difference.squaredDifference = nanMismatch ? .infinity : squared
                difference.squaredNormA = normX
            }
            results.append(difference)
        }
        tensors = results
        frozenInAOnly = a.parameters.filter { namesB[$0.spec.name] == nil && isFrozen($0) == true }.map(\.spec.name)
        onlyInAParameters = a.parameters.map(\.spec.name).filter { namesB[$0] == nil }
        onlyInBParameters = b.parameters.map(\.spec.name).filter { !namesA.contains($0) }
    }

    /// Frozen tensors of A that B does not hold.
    public var frozenInAOnly: [String] = []
    /// Parameters (canonical names) only one side holds.
    var onlyInAParameters: [String] = []
    var onlyInBParameters: [String] = []

    /// The roll-up of the compared tensors by `grouping`, in first-appearance order.
    public func rows(by grouping: Grouping) -> [Row] {
        var order: [String] = []
        var rows: [String: Row] = [:]
        var sums: [String: (difference: Double, norm: Double, shapeChanged: Bool, frozen: Int, unknown: Bool)] = [:]
        func key(_ name: String) -> String {
            grouping == .tensor ? name : grouping == .module ? Self.groupName(name) : Self.layerName(name)
        }
        for t in tensors {
            let key = key(t.name)
            if rows[key] == nil {
                order.append(key)
                rows[key] = Row(name: key, tensors: 0, changed: 0, parameters: 0, maxAbsDiff: 0, relativeChange: 0, frozenInA: nil, partlyFrozen: false)
                sums[key] = (0, 0, false, 0, false)
            }
            rows[key]!.tensors += 1
            rows[key]!.parameters += t.parameters
            if t.differs { rows[key]!.changed += 1 }
            rows[key]!.maxAbsDiff = max(rows[key]!.maxAbsDiff, t.maxAbsDiff ?? .infinity)
            sums[key]!.difference += t.squaredDifference
            sums[key]!.norm += t.squaredNormA
            if t.shapeA != t.shapeB { sums[key]!.shapeChanged = true }
            if t.frozenInA == true { sums[key]!.frozen += 1 }
            if t.frozenInA == nil { sums[key]!.unknown = true }
        }
        // Parameters on one side only join their group's row (stored tensors that map to no parameter stay listed
        // in only_in_a / only_in_b).
        for (names, isA) in [(onlyInAParameters, true), (onlyInBParameters, false)] {
            for name in names {
                let key = key(name)
                if rows[key] == nil {
                    order.append(key)
                    rows[key] = Row(name: key, tensors: 0, changed: 0, parameters: 0, maxAbsDiff: 0, relativeChange: nil, frozenInA: nil, partlyFrozen: false)
                    sums[key] = (0, 0, true, 0, true)
                }
                if isA { rows[key]!.onlyInA += 1 } else { rows[key]!.onlyInB += 1 }
            }
        }
        return order.map { key in
            var row = rows[key]!
            let sum = sums[key]!
            row.relativeChange = sum.shapeChanged ? nil
                : sum.norm > 0 ? (sum.difference / sum.norm).squareRoot() : (sum.difference > 0 ? .infinity : 0)
            if !sum.unknown {
                row.frozenInA = sum.frozen == row.tensors ? true : sum.frozen == 0 ? false : nil
                row.partlyFrozen = sum.frozen > 0 && sum.frozen < row.tensors
            }
            return row
        }
    }

    /// Whether everything A's frozen state covers is bit-identical in B; nil when A records no frozen state.
    public var frozenCheck: FrozenCheck? {
        guard let prefixes = frozenPrefixes else { return nil }
        let frozen = tensors.filter { $0.frozenInA == true }
        let broken = frozen.filter { $0.shapeA != $0.shapeB || $0.maxAbsDiff != 0 }
        var layers: [String] = []
        for name in broken.map(\.name) + frozenInAOnly where !layers.contains(Self.layerName(name)) { layers.append(Self.layerName(name)) }
        return FrozenCheck(
            prefixes: prefixes, parameters: frozen.reduce(0) { $0 + $1.parameters },
            violations: broken.map(\.name) + frozenInAOnly.map { $0 + " (missing in B)" }, changedLayers: layers)
    }

    /// `bert.encoder.layer.3.…` → `bert.encoder.layer.3`; `bert.embeddings.…` → `bert.embeddings`; a head's tensors
    /// → the head (`classifier`, `cls.predictions`).
    static func layerName(_ name: String) -> String {
        let parts = name.split(separator: ".").map(String.init)
        if parts.count > 4, parts[0] == "bert", parts[1] == "encoder", parts[2] == "layer" { return parts[0...3].joined(separator: ".") }
        return groupName(name)
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

    /// One roll-up row as JSON; `relative_change` is null (with `note`) when not finite.
    func rowJSON(_ row: Row) -> JSONValue {
        let change: JSONValue = row.relativeChange.map { $0.isFinite ? .number($0) : .null } ?? .null
        let frozen: JSONValue = row.partlyFrozen ? .string("partly") : row.frozenInA.map { .bool($0) } ?? .null
        let note: JSONValue = row.relativeChange == nil ? .string(row.onlyInA + row.onlyInB > 0 ? "tensors on one side only" : "a shape differs")
            : row.relativeChange!.isFinite ? .null : .string("A is all zeros, so the relative change is unbounded")
        return .object([
            ("name", .string(row.name)), ("tensors", .integer(Int64(row.tensors))), ("changed", .integer(Int64(row.changed))),
            ("only_in_a", .integer(Int64(row.onlyInA))), ("only_in_b", .integer(Int64(row.onlyInB))),
            ("parameters", .integer(Int64(row.parameters))), ("max_abs_diff", row.maxAbsDiff.isFinite ? .number(row.maxAbsDiff) : .null),
            ("relative_change", change), ("frozen_in_a", frozen), ("note", note),
        ])
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
            ("layers", .array(rows(by: .layer).map(rowJSON))),
            ("frozen_check", frozenCheck.map { check in
                .object([
                    ("frozen", .array(check.prefixes.map { .string($0) })), ("parameters", .integer(Int64(check.parameters))),
                    ("holds", .bool(check.holds)), ("violations", .array(check.violations.map { .string($0) })),
                    ("changed_layers", .array(check.changedLayers.map { .string($0) })),
                    ("state_from_b", .bool(frozenStateFromB)),
                ])
            } ?? .null),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)), ("shape_a", .array(t.shapeA.map { .integer(Int64($0)) })),
                    ("shape_b", .array(t.shapeB.map { .integer(Int64($0)) })), ("dtype_a", .string(t.dtypeA.rawValue)),
                    ("dtype_b", .string(t.dtypeB.rawValue)), ("max_abs_diff", number(t.maxAbsDiff)),
                    ("relative_l2", number(t.relativeL2)), ("relative_change", number(t.relativeChange)),
                    ("cosine", number(t.cosine)), ("differs", .bool(t.differs)),
                    ("frozen_in_a", t.frozenInA.map { .bool($0) } ?? .null),
                    ("note", note(t)),
                ])
            })),
        ])
    }
}
