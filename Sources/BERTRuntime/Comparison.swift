/// How one output of a forward pass compares with a golden file's.
public struct OutputComparison: Sendable, Equatable {
    /// The golden-file name (`logits`, `last_hidden_state`).
    public var name: String
    /// The expected shape.
    public var shape: [Int]
    /// How many values were compared (`last_hidden_state`: only rows where attention_mask = 1).
    public var comparedValues: Int
    /// Largest `|actual − expected|`.
    public var maxAbsoluteDifference: Double
    /// Largest `|actual − expected| / |expected|` over values whose expected value is not 0.
    public var maxRelativeDifference: Double
    /// Rows (along the last axis) whose largest value sits at the same index, and how many rows were compared.
    public var argmaxMatches: Int
    /// Rows compared for argmax agreement.
    public var argmaxRows: Int
    /// Values outside `atol + rtol·|expected|` (NaN counts as outside).
    public var failingValues: Int
    /// Why the output could not be compared (missing, other shape); nil when it was.
    public var problem: String?
    /// Expected values that are not finite (inf, NaN): each matches only the same value, whatever the tolerance.
    public var nonFiniteExpected = 0

    /// Whether every compared value is within tolerance and nothing stopped the comparison.
    public var passed: Bool { problem == nil && failingValues == 0 }
}

/// A forward pass's outputs checked against a golden file, output by output, with the golden file's tolerance
/// (or one given), the way `numpy.allclose(actual, expected, rtol, atol)` decides.
public struct Comparison: Sendable, Equatable {
    /// The tolerance every output was held to.
    public var tolerance: Tolerance
    /// One entry per output the golden file holds, in schema order.
    public var outputs: [OutputComparison]

    /// Whether every output of the golden file was produced and is within tolerance.
    public var passed: Bool { !outputs.isEmpty && outputs.allSatisfy(\.passed) }

    /// Compares `actual` with `golden`'s outputs; hidden states only at positions where the golden mask is 1.
    public init(golden: GoldenFile, actual: ModelOutputs, tolerance: Tolerance? = nil) {
        let tolerance = tolerance ?? golden.tolerance
        self.tolerance = tolerance
        let rowMask = golden.input.attentionMask.flatMap { $0 }.map { $0 == 1 }
        outputs = GoldenFile.outputNames.compactMap { name in
            guard let expected = golden.outputs[name] else { return nil }
            return Self.compare(name: name, expected: expected, actual: actual.output(named: name), tolerance: tolerance,
                                rowMask: name == "last_hidden_state" ? rowMask : nil)
        }
    }

    /// Compares one output; `rowMask` (one flag per row of the last axis) skips rows where it is false.
    static func compare(name: String, expected: FloatTensor, actual: FloatTensor?, tolerance: Tolerance, rowMask: [Bool]?)
        -> OutputComparison
    {
        var result = OutputComparison(name: name, shape: expected.shape, comparedValues: 0, maxAbsoluteDifference: 0,
                                      maxRelativeDifference: 0, argmaxMatches: 0, argmaxRows: 0, failingValues: 0)
        guard let actual else {
            result.problem = "the model produces no '\(name)'"
            return result
        }
        guard actual.shape == expected.shape else {
            result.problem = "the model's '\(name)' has shape \(formatShape(actual.shape)), the golden file's \(formatShape(expected.shape))"
            return result
        }
        let width = expected.shape.last ?? 1
        let expectedArgmax = expected.argmaxAlongLastAxis(), actualArgmax = actual.argmaxAlongLastAxis()
        for row in 0..<(expected.count / max(width, 1)) {
            if let rowMask, row < rowMask.count, !rowMask[row] { continue }
            result.argmaxRows += 1
            if expectedArgmax[row] == actualArgmax[row] { result.argmaxMatches += 1 }
            for index in (row * width)..<((row + 1) * width) {
                let a = Double(actual.values[index]), b = Double(expected.values[index])
                result.comparedValues += 1
                if !a.isFinite || !b.isFinite {
                    // A non-finite value matches only the same non-finite value: an infinite expected value would
                    // otherwise make its own tolerance (rtol·|b|) infinite and pass anything.
                    let same = (a.isNaN && b.isNaN) || a == b
                    if !b.isFinite { result.nonFiniteExpected += 1 }
                    if !same {
                        result.failingValues += 1
                        result.maxAbsoluteDifference = a.isNaN || b.isNaN ? .nan : .infinity
                        result.maxRelativeDifference = result.maxAbsoluteDifference
                    }
                    continue
                }
                let difference = abs(a - b)
                if !(difference.isFinite && difference <= tolerance.absolute + tolerance.relative * abs(b)) { result.failingValues += 1 }
                if difference.isNaN {
                    result.maxAbsoluteDifference = .nan
                    result.maxRelativeDifference = .nan
                    continue
                }
                result.maxAbsoluteDifference = max(result.maxAbsoluteDifference, difference)
                if b != 0 { result.maxRelativeDifference = max(result.maxRelativeDifference, difference / abs(b)) }
            }
        }
        return result
    }
}
