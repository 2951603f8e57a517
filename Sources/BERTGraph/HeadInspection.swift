import TensorFormats

/// Checks on head weights that point to a mistake (FORMATS.md §4: a fresh head has weights ~ N(0, 0.02) and zero bias).
enum HeadInspection {
    static func warnings(for model: BERTModel, store: any TensorStore) -> [String] {
        guard let weight = model.parameter(named: "classifier.weight"), let bias = model.parameter(named: "classifier.bias") else { return [] }
        guard let w = try? store.withBytes(of: weight.stored, { decodeFloats($0, dtype: weight.stored.dtype) }) ?? nil,
              let b = try? store.withBytes(of: bias.stored, { decodeFloats($0, dtype: bias.stored.dtype) }) ?? nil,
              !w.isEmpty
        else { return [] }
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        let std = variance.squareRoot()
        guard b.allSatisfy({ $0 == 0 }), std > 0.01, std < 0.03, abs(mean) < 0.01 else { return [] }
        let shown = (std * 10000).rounded() / 10000
        return ["classifier looks freshly initialised (weights std \(shown), bias all zero), as transformers leaves a new head: train it before use"]
    }
}
