/// Writes an `ONNXModel` as one ModelProto, streaming each initializer's bytes through one reused buffer: the
/// message lengths are computed first, so no part of the file larger than a node list is held in memory. With
/// external data, initializer bytes go to a second file instead (onnx/onnx `docs/ExternalData.md`: `location`,
/// `offset`, `length`, offsets 4 KiB-aligned so that runtimes can map them).
public struct ONNXWriter {
    /// Protobuf's limit on one message; a model whose weights do not fit under it needs external data.
    public static let inlineLimit = 2_000_000_000
    /// Alignment of each tensor in the external data file.
    public static let externalAlignment = 4096

    private let progress: () -> Void

    /// `progress` is called once per initializer written.
    public init(progress: @escaping () -> Void = {}) {
        self.progress = progress
    }

    /// Writes `model` to `file` with parameter bytes read from `store`; with `externalData`, parameter initializers
    /// are written to that file, which the model names by `location` (relative to the model's folder). Returns the
    /// number of values that overflowed to infinity when narrowing.
    public func write(_ model: ONNXModel, from store: any TensorStore, to file: AtomicFile,
                      externalData: (file: AtomicFile, location: String)? = nil) throws -> Int {
        // Placement of each initializer's bytes: inline, or at an offset of the external file.
        var externalOffsets: [Int?] = []
        var externalEnd = 0
        for initializer in model.initializers {
            if externalData != nil, initializer.isParameter {
                let offset = (externalEnd + Self.externalAlignment - 1) / Self.externalAlignment * Self.externalAlignment
                externalOffsets.append(offset)
                externalEnd = offset + initializer.byteCount
            } else {
                externalOffsets.append(nil)
            }
        }
        let headers = model.initializers.enumerated().map { index, initializer in
            Self.tensorHeader(name: initializer.name, elementType: initializer.elementType, dims: initializer.dims,
                              payload: externalOffsets[index].map { .external(location: externalData!.location, offset: $0, length: initializer.byteCount) }
                                ?? .inline(initializer.byteCount))
        }
        var inlineBytes = 0
        for (index, initializer) in model.initializers.enumerated() where externalOffsets[index] == nil {
            inlineBytes += initializer.byteCount
        }
        guard inlineBytes < Self.inlineLimit else {
            throw OutputError.cannotWrite(path: file.destination, reason: "the weights (\(inlineBytes) bytes) exceed protobuf's 2 GB message limit; write them as external data")
        }

        var graphHead = ProtobufMessage()
        for node in model.nodes { graphHead.message(1, Self.node(node)) }
        graphHead.string(2, model.graphName)
        var graphTail = ProtobufMessage()
        for input in model.inputs { graphTail.message(11, Self.valueInfo(input)) }
        for output in model.outputs { graphTail.message(12, Self.valueInfo(output)) }
        var initializerBytes = 0
        for (index, header) in headers.enumerated() {
            let size = header.count + (externalOffsets[index] == nil ? model.initializers[index].byteCount : 0)
            initializerBytes += Protobuf.prefixSize(field: 5, length: size) + size
        }
        let graphLength = graphHead.count + initializerBytes + graphTail.count

        var head = ProtobufMessage()
        head.integer(1, model.irVersion)
        head.string(2, model.producerName)
        head.string(3, model.producerVersion)
        head.lengthPrefix(7, length: graphLength)
        try write(head, to: file)
        try write(graphHead, to: file)

        // One buffer: a streamed piece, or a whole entry that is rendered whole (moved axes, a packed weight's part).
        let largest = model.initializers.map { initializer in
            switch initializer.content {
            case let .entry(entry): return entry.streamBufferBytes
            case let .combined(entries, _): return entries.map(\.byteCount).max() ?? 0
            case .literal: return 0
            }
        }.max() ?? 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 64)
        defer { buffer.deallocate() }
        var overflows = 0
        var externalWritten = 0
        for (index, initializer) in model.initializers.enumerated() {
            let header = headers[index]
            var prefix = ProtobufMessage()
            prefix.lengthPrefix(5, length: header.count + (externalOffsets[index] == nil ? initializer.byteCount : 0))
            try write(prefix, to: file)
            try write(header, to: file)
            // The bytes go right after the header, or to their offset in the external data file.
            var target = file
            if let externalData, let offset = externalOffsets[index] {
                if offset > externalWritten {
                    try [UInt8](repeating: 0, count: offset - externalWritten).withUnsafeBytes { try externalData.file.write($0) }
                }
                externalWritten = offset + initializer.byteCount
                target = externalData.file
            }
            switch initializer.content {
            case let .entry(entry):
                overflows += try entry.stream(from: store, buffer: buffer) { try target.write($0) }
            case let .combined(entries, transposed):
                let joined = UnsafeMutableRawBufferPointer.allocate(byteCount: max(initializer.byteCount, 1), alignment: 64)
                defer { joined.deallocate() }
                overflows += try Self.join(entries, transposed: transposed, from: store, into: joined, scratch: buffer)
                try target.write(UnsafeRawBufferPointer(joined))
            case let .literal(literal):
                try literal.bytes.withUnsafeBytes { try target.write($0) }
            }
            progress()
        }
        try write(graphTail, to: file)

        var tail = ProtobufMessage()
        for (domain, version) in model.opsets {
            var opset = ProtobufMessage()
            opset.string(1, domain)
            opset.integer(2, version)
            tail.message(8, opset)
        }
        for (key, value) in model.metadata { tail.message(14, Self.stringPair(key, value)) }
        try write(tail, to: file)
        return overflows
    }

    /// Renders `entries` into `output` joined as `ONNXModel.Initializer.Content.combined` describes; `scratch` holds
    /// one rendered entry at a time.
    static func join(_ entries: [WritePlan.Entry], transposed: Bool, from store: any TensorStore,
                     into output: UnsafeMutableRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) throws -> Int {
        var overflows = 0
        guard transposed else {
            var offset = 0
            for entry in entries {
                overflows += try entry.render(from: store, into: UnsafeMutableRawBufferPointer(rebasing: output[offset..<(offset + entry.byteCount)]))
                offset += entry.byteCount
            }
            return overflows
        }
        let total = entries.reduce(0) { $0 + $1.shape[0] }
        var column = 0
        for entry in entries {
            // The [out, in] weight rendered straight into [in, out] (one transposition composed with the source's
            // own layout change: a TensorFlow kernel is already [in, out] and moves as it is).
            let transposed = entry.transposedEntry
            overflows += try transposed.render(from: store, into: scratch)
            let inputs = transposed.shape[0], width = transposed.shape[1], size = entry.dtype.size
            // Row c of the [in, out] block fills columns column ..< column + out of row c of the result.
            for c in 0..<inputs {
                (output.baseAddress! + (c * total + column) * size)
                    .copyMemory(from: scratch.baseAddress! + c * width * size, byteCount: width * size)
            }
            column += width
        }
        return overflows
    }

    private func write(_ message: ProtobufMessage, to file: AtomicFile) throws {
        try message.bytes.withUnsafeBytes { try file.write($0) }
    }

    enum Payload {
        case inline(Int)
        case external(location: String, offset: Int, length: Int)
    }

    /// A TensorProto without its raw bytes: for inline data it ends with the raw_data field's tag and length, so
    /// the bytes follow directly.
    static func tensorHeader(name: String, elementType: ONNXModel.ElementType, dims: [Int], payload: Payload) -> ProtobufMessage {
        var tensor = ProtobufMessage()
        for dim in dims { tensor.integer(1, dim) }
        tensor.integer(2, elementType.rawValue)
        tensor.string(8, name)
        switch payload {
        case let .inline(length):
            tensor.lengthPrefix(9, length: length)
        case let .external(location, offset, length):
            for (key, value) in [("location", location), ("offset", String(offset)), ("length", String(length))] {
                tensor.message(13, stringPair(key, value))
            }
            tensor.integer(14, 1)
        }
        return tensor
    }

    /// A StringStringEntryProto (metadata_props, external_data).
    static func stringPair(_ key: String, _ value: String) -> ProtobufMessage {
        var entry = ProtobufMessage()
        entry.string(1, key)
        entry.string(2, value)
        return entry
    }

    static func literalTensor(_ literal: ONNXModel.Literal, name: String = "") -> ProtobufMessage {
        var tensor = tensorHeader(name: name, elementType: literal.elementType, dims: literal.dims, payload: .inline(literal.bytes.count))
        tensor.append(literal.bytes)
        return tensor
    }

    static func node(_ node: ONNXModel.Node) -> ProtobufMessage {
        var message = ProtobufMessage()
        for input in node.inputs { message.string(1, input) }
        for output in node.outputs { message.string(2, output) }
        if !node.name.isEmpty { message.string(3, node.name) }
        message.string(4, node.opType)
        for (name, value) in node.attributes {
            var attribute = ProtobufMessage()
            attribute.string(1, name)
            switch value {
            case let .float(v):
                attribute.float(2, v)
                attribute.integer(20, 1)
            case let .int(v):
                attribute.integer(3, v)
                attribute.integer(20, 2)
            case let .string(v):
                attribute.string(4, v)
                attribute.integer(20, 3)
            case let .tensor(literal):
                attribute.message(5, literalTensor(literal))
                attribute.integer(20, 4)
            case let .ints(values):
                for v in values { attribute.integer(8, v) }
                attribute.integer(20, 7)
            }
            message.message(5, attribute)
        }
        if !node.domain.isEmpty { message.string(7, node.domain) }
        return message
    }

    static func valueInfo(_ info: ONNXModel.ValueInfo) -> ProtobufMessage {
        var shape = ProtobufMessage()
        for dimension in info.shape {
            var dim = ProtobufMessage()
            switch dimension {
            case let .value(v): dim.integer(1, v)
            case let .parameter(name): dim.string(2, name)
            }
            shape.message(1, dim)
        }
        var tensorType = ProtobufMessage()
        tensorType.integer(1, info.elementType.rawValue)
        tensorType.message(2, shape)
        var type = ProtobufMessage()
        type.message(1, tensorType)
        var message = ProtobufMessage()
        message.string(1, info.name)
        message.message(2, type)
        return message
    }
}
