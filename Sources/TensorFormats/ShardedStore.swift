/// A checkpoint split over several files, read through its index; it behaves as one store.
public final class ShardedStore: TensorStore, Sendable {
    public let path: String
    public let index: ShardIndex
    public let shards: [any TensorStore]
    public let tensors: [StoredTensor]
    public let layerGroups: [LayerGroup]?
    public let metadata: [String: String]
    public var layout: StoreLayout { shards[0].layout }
    public var fileSize: Int { shards.reduce(0) { $0 + $1.fileSize } }
    public var unlistedNames: [String] { shards.flatMap(\.unlistedNames) }

    /// Opens every shard the index names with `open`, and checks that the index and the shards agree:
    /// each indexed tensor lives in the shard the index names, and no tensor is stored twice.
    ///
    public init(index: ShardIndex, open: (String) throws -> any TensorStore) throws {
        self.index = index
        path = index.path
        var stores: [any TensorStore] = []
        var all: [StoredTensor] = []
        var owner: [String: Int] = [:]
        var groups: [LayerGroup] = []
        var anyGroups = false
        var metadata: [String: String] = [:]
        for (number, shard) in index.shards.enumerated() {
            let store = try open(try index.resolve(shard))
            for tensor in store.tensors {
                guard owner.updateValue(number, forKey: tensor.name) == nil else {
                    throw TensorFormatError.duplicateTensor(path: index.path, tensor: tensor.name)
                }
                var placed = tensor
                placed.shard = number
                all.append(placed)
            }
            if let g = store.layerGroups { groups += g; anyGroups = true }
            metadata.merge(store.metadata) { first, _ in first }
            stores.append(store)
        }
        var indexed = Set<String>()
        for (tensor, shard) in index.weightMap {
            // transformers' TF shard indexes name weights with the model scope (`tf_bert_for_…/`) the shards omit.
            let key = owner[tensor] != nil ? tensor : tensor.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? tensor
            indexed.insert(key)
            guard let number = owner[key] else {
                throw TensorFormatError.shardMismatch(path: index.path, tensor: tensor, reason: "is in the index but in no shard")
            }
            guard index.shards[number] == shard else {
                throw TensorFormatError.shardMismatch(path: index.path, tensor: tensor, reason: "is indexed in '\(shard)' but stored in '\(index.shards[number])'")
            }
        }
        if let extra = owner.keys.sorted().first(where: { !indexed.contains($0) }) {
            throw TensorFormatError.shardMismatch(path: index.path, tensor: extra, reason: "is stored in a shard but missing from the index")
        }
        shards = stores
        tensors = all
        self.metadata = metadata
        layerGroups = anyGroups ? Self.mergeGroups(groups) : nil
    }

    /// Layer groups of all shards, one entry per layer name, in first-seen order.
    private static func mergeGroups(_ groups: [LayerGroup]) -> [LayerGroup] {
        var merged: [LayerGroup] = []
        var position: [String: Int] = [:]
        for group in groups {
            if let i = position[group.name] {
                merged[i].tensorNames += group.tensorNames
            } else {
                position[group.name] = merged.count
                merged.append(group)
            }
        }
        return merged
    }

    public func hasStableView(of tensor: StoredTensor) -> Bool { shards[tensor.shard].hasStableView(of: tensor) }

    public func discardPages(of tensor: StoredTensor) {
        shards[tensor.shard].discardPages(of: tensor)
    }

    public func withBytes<R>(of tensor: StoredTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try shards[tensor.shard].withBytes(of: tensor, body)
    }
}
