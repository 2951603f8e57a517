/// Accuracy, precision, recall and F1 of a classifier's predictions, accumulated one example at a time, with the
/// definitions of scikit-learn's `accuracy_score` and `precision_recall_fscore_support`: a class's precision (recall)
/// is 0 when nothing was predicted as it (nothing carries it), and macro and weighted averages run over the classes
/// that occur among the labels or the predictions.
public struct ClassificationMetrics: Sendable {
    public let classes: Int
    /// `confusion[label][predicted]`.
    public private(set) var confusion: [[Int]]

    public init(classes: Int) {
        self.classes = classes
        confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    }

    /// Counts one example.
    public mutating func add(label: Int, predicted: Int) {
        confusion[label][predicted] += 1
    }

    public var examples: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classes).reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { examples > 0 ? Double(correct) / Double(examples) : 0 }

    /// Examples whose label is `c`.
    public func support(_ c: Int) -> Int { confusion[c].reduce(0, +) }
    /// Examples predicted as `c`.
    public func predicted(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + confusion[$1][c] } }

    public func precision(_ c: Int) -> Double { predicted(c) > 0 ? Double(confusion[c][c]) / Double(predicted(c)) : 0 }
    public func recall(_ c: Int) -> Double { support(c) > 0 ? Double(confusion[c][c]) / Double(support(c)) : 0 }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r > 0 ? 2 * p * r / (p + r) : 0
    }

    /// The classes that occur among the labels or the predictions (scikit-learn's default `labels`).
    public var presentClasses: [Int] { (0..<classes).filter { support($0) > 0 || predicted($0) > 0 } }

    public var macroF1: Double { average(f1) }
    public var macroPrecision: Double { average(precision) }
    public var macroRecall: Double { average(recall) }
    public var weightedF1: Double {
        let total = presentClasses.reduce(0) { $0 + support($1) }
        return total > 0 ? presentClasses.reduce(0.0) { $0 + f1($1) * Double(support($1)) } / Double(total) : 0
    }

    private func average(_ metric: (Int) -> Double) -> Double {
        let present = presentClasses
        return present.isEmpty ? 0 : present.reduce(0.0) { $0 + metric($1) } / Double(present.count)
    }
}
