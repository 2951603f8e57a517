/// The model as a vertical diagram draws it: embeddings, one block per encoder layer, the pooler, then each
/// top-level layer after BERT (a head, or the notebook's Conv1D branches, pooling and dense layers), in order.
public struct ModelBlock: Sendable, Equatable {
    public enum Kind: String, Sendable { case embeddings, encoderLayer = "encoder-layer", pooler, layer }
    public var name: String
    public var kind: Kind
    /// The class as the file records it or transformers names it (`BertLayer`, `Dense`, `Conv1D`).
    public var className: String
    public var parameters: Int
    /// Parameters that train; nil when the file does not record it.
    public var trainableParameters: Int?
    /// The element type of its first parameter.
    public var dtype: String?
    /// Its parameters' shapes, PyTorch layout (`[2000, 32]`), for the label.
    public var shapes: [[Int]]

    /// Every block of `model`, in the order data flows.
    public static func blocks(of model: BERTModel) -> [ModelBlock] {
        var blocks: [ModelBlock] = []
        var index: [String: Int] = [:]
        func add(_ key: String, _ kind: Kind, _ className: String) {
            index[key] = blocks.count
            blocks.append(ModelBlock(name: key, kind: kind, className: className, parameters: 0, trainableParameters: 0, dtype: nil, shapes: []))
        }
        for layer in model.layers {
            if layer.parameterPrefix == ["bert"] {
                add("bert.embeddings", .embeddings, "BertEmbeddings")
                for n in 0..<model.configuration.numHiddenLayers { add("bert.encoder.layer.\(n)", .encoderLayer, "BertLayer") }
                if model.hasPooler { add("bert.pooler", .pooler, "BertPooler") }
            } else {
                add(layer.name, .layer, layer.className)
            }
        }
        let owners = Dictionary(model.layers.compactMap { layer in layer.parameterPrefix.map { ($0.joined(separator: "."), layer.name) } }, uniquingKeysWith: { a, _ in a })
        for parameter in model.parameters {
            let path = parameter.spec.path
            let key: String
            if path.first == "bert" {
                key = path.count > 3 && path[1] == "encoder" ? "bert.encoder.layer.\(path[3])" : "bert.\(path[1])"
            } else {
                key = owners.first { path.joined(separator: ".").hasPrefix($0.key + ".") || path.joined(separator: ".") == $0.key }?.value ?? parameter.layer
            }
            if index[key] == nil { add(key, .layer, parameter.layer) }
            let i = index[key]!
            blocks[i].parameters += parameter.spec.elementCount
            if parameter.trainable { blocks[i].trainableParameters! += parameter.spec.elementCount }
            if blocks[i].dtype == nil { blocks[i].dtype = parameter.stored.dtype.shortName }
            blocks[i].shapes.append(parameter.spec.shape)
        }
        if !model.trainableRecorded { for i in blocks.indices { blocks[i].trainableParameters = nil } }
        return blocks
    }
}
