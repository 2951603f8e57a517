import TensorFormats

/// Which parameters are frozen, recorded as the smallest set of canonical module prefixes that covers them.
public enum FreezeState {
    /// The JSON text stored under `frozenMetadataKey`, or nil when nothing is frozen.
    public static func encode(_ prefixes: [[String]]) -> String? {
        guard !prefixes.isEmpty else { return nil }
        return JSONValue.array(prefixes.map { .string($0.isEmpty ? "all" : $0.joined(separator: ".")) }).serialized()
    }

    /// Prefixes read back from `encode`'s text (`all` is the empty prefix).
    public static func decode(_ text: String?) -> [[String]] {
        guard let text, let list = try? JSONParser.parse(text).arrayValue else { return [] }
        return list.compactMap(\.stringValue).map { $0 == "all" ? [] : $0.split(separator: ".").map(String.init) }
    }

    /// The frozen parameters of `model` as the file records them (bertinspect metadata or Keras flags).
    public static func frozenParameters(_ model: BERTModel) -> Set<String> {
        Set(model.parameters.filter { !$0.trainable }.map(\.spec.name))
    }

    /// The smallest list of prefixes (tree nodes) whose parameters are exactly `frozen`, in canonical order.
    public static func compress(_ frozen: Set<String>, model: BERTModel) -> [[String]] {
        let paths = model.parameters.map(\.spec.path)
        if !paths.isEmpty, paths.allSatisfy({ frozen.contains($0.joined(separator: ".")) }) { return [[]] }
        var result: [[String]] = []
        func visit(_ prefix: [String]) {
            let under = paths.filter { $0.starts(with: prefix) && $0.count > prefix.count }
            guard !under.isEmpty else { return }
            let all = under.allSatisfy { frozen.contains($0.joined(separator: ".")) }
            if all, !prefix.isEmpty { result.append(prefix); return }
            guard under.contains(where: { frozen.contains($0.joined(separator: ".")) }) else { return }
            var children: [String] = []
            for path in under where !children.contains(path[prefix.count]) { children.append(path[prefix.count]) }
            for child in children { visit(prefix + [child]) }
        }
        visit([])
        return result
    }
}

/// A `--layers` specification resolved against a model: canonical prefixes it names.
public enum LayerSpec {
    /// Resolves comma-separated specs (`bert`, `bert.encoder.layer.0-5`, `layer_._3`, `head`, `all`, Keras layer names).
    /// Throws `GraphError.unknownLayer` naming the unknown spec and listing the valid names.
    public static func resolve(_ text: String, model: BERTModel) throws -> [[String]] {
        var prefixes: [[String]] = []
        for raw in text.split(separator: ",").map({ $0.trimmingSpaces() }) where !raw.isEmpty {
            prefixes += try resolveOne(raw, model: model)
        }
        guard !prefixes.isEmpty else { throw GraphError.unknownLayer(spec: text, valid: validNames(model)) }
        return prefixes
    }

    static func resolveOne(_ raw: String, model: BERTModel) throws -> [[String]] {
        if raw == "all" { return [[]] }
        if raw == "head" {
            let heads = model.layers.compactMap(\.parameterPrefix).filter { $0.first != "bert" }
            guard !heads.isEmpty else { throw GraphError.unknownLayer(spec: raw, valid: validNames(model)) }
            return heads
        }
        if let layer = model.layers.first(where: { $0.name == raw || model.kerasNames[$0.name] == raw }), let prefix = layer.parameterPrefix {
            return [prefix]
        }
        var spec = raw.replacingAll("layer_._", with: "layer.")
        if spec.hasPrefix("layer.") { spec = "encoder." + spec }
        if spec.hasPrefix("encoder") || spec.hasPrefix("embeddings") || spec.hasPrefix("pooler") { spec = "bert." + spec }
        var components = spec.split(separator: ".").map(String.init)
        var range: ClosedRange<Int>?
        if let last = components.last, let dash = last.firstIndex(of: "-"), components.count >= 2, components[components.count - 2] == "layer",
           let low = Int(last[..<dash]), let high = Int(last[last.index(after: dash)...]), low <= high {
            range = low...high
            components.removeLast()
        }
        let prefixes: [[String]] = range.map { r in r.map { components + [String($0)] } } ?? [components]
        let paths = model.parameters.map(\.spec.path)
        for prefix in prefixes where !paths.contains(where: { $0.starts(with: prefix) && $0.count > prefix.count }) {
            throw GraphError.unknownLayer(spec: raw, valid: validNames(model))
        }
        return prefixes
    }

    /// Names a spec may use: top-level layers, `head`, `all`, and the modules of the BERT main layer.
    public static func validNames(_ model: BERTModel) -> [String] {
        var names = ["all"]
        if model.layers.contains(where: { $0.parameterPrefix.map { $0.first != "bert" } ?? false }) { names.append("head") }
        names += model.layers.filter { $0.parameterPrefix != nil }.map(\.name)
        if model.architecture.hasEncoder {
            names += ["bert", "bert.embeddings", "bert.encoder"]
            let layers = model.configuration.numHiddenLayers
            if layers > 0 { names += layers > 1 ? ["bert.encoder.layer.0", "bert.encoder.layer.0-\(layers - 1)"] : ["bert.encoder.layer.0"] }
            if model.hasPooler { names.append("bert.pooler") }
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty, count >= target.count else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) { return index..<self.index(index, offsetBy: target.count) }
            index = self.index(after: index)
        }
        return nil
    }
}
