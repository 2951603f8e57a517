extension ONNXFile {
    /// Reads the parts of a ModelProto the store needs (onnx/onnx `onnx.proto` field numbers): the main graph's
    /// nodes and initializers, inputs and outputs, opsets and metadata. Sub-graphs are walked only to bound their
    /// depth. Every length is checked against its enclosing message.
    struct Parser {
        struct Node {
            var opType: String
            var domain: String
            var inputs: [String]
            var outputs: [String]
            /// The module path of the node, from a TorchScript node name or the dynamo exporter's `namespace`.
            var scope: String?
            /// Gemm's transB attribute.
            var transB: Bool
            /// The `num_heads` attribute of an attention operator.
            var heads: Int? = nil
        }

        enum TensorData {
            case raw(Range<Int>)
            case owned([UInt8])
            case external(location: String, offset: Int, length: Int?)
        }

        struct Tensor {
            var name: String
            var dtype: DType
            var dims: [Int]
            var data: TensorData
        }

        struct Model {
            var nodes: [Node] = []
            var initializers: [Tensor] = []
            var metadata: [String: String] = [:]
        }

        let path: String
        let bytes: UnsafeRawBufferPointer

        func malformed(_ reason: String) -> TensorFormatError {
            .invalidONNX(path: path, reason: reason)
        }

        /// The fields of the message in `range`, each handed to `body`; a framing error throws.
        func fields(_ range: Range<Int>, _ what: String,
                    _ body: (_ number: UInt64, _ value: UInt64, _ payload: Range<Int>?) throws(TensorFormatError) -> Void) throws(TensorFormatError) {
            var reader = ProtobufReader(bytes, from: range.lowerBound, to: range.upperBound)
            while !reader.atEnd {
                let start = reader.position
                guard let field = reader.field() else { throw malformed("a field of the \(what) at byte \(start) is cut short or malformed") }
                var payload: Range<Int>?
                if let data = field.bytes {
                    let offset = data.baseAddress.map { $0 - bytes.baseAddress! } ?? reader.position
                    payload = offset..<(offset + data.count)
                }
                try body(field.number, field.value, payload)
            }
        }

        func string(_ range: Range<Int>?, _ what: String) throws(TensorFormatError) -> String {
            guard let range else { throw malformed("the \(what) is not a string") }
            guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
                throw malformed("the \(what) is not UTF-8")
            }
            return text
        }

        /// A StringStringEntryProto (key 1, value 2): metadata_props and external_data entries.
        func stringPair(_ range: Range<Int>?, _ what: String) throws(TensorFormatError) -> (key: String, value: String) {
            guard let range else { throw malformed("a \(what) is not a message") }
            var key = ""
            var value = ""
            try fields(range, what) { number, _, inner throws(TensorFormatError) in
                if number == 1 { key = try string(inner, what + " key") }
                if number == 2 { value = try string(inner, what + " value") }
            }
            return (key, value)
        }

        func model() throws(TensorFormatError) -> Model {
            var model = Model()
            var graph: Range<Int>?
            var opsets: [String] = []
            var producer = ""
            var producerVersion = ""
            try fields(0..<bytes.count, "model") { number, value, payload throws(TensorFormatError) in
                switch number {
                case 1: model.metadata["onnx.ir_version"] = String(value)
                case 2: producer = try string(payload, "producer name")
                case 3: producerVersion = try string(payload, "producer version")
                case 7:
                    guard graph == nil, let payload else { throw malformed("the model holds more than one graph") }
                    graph = payload
                case 8:
                    guard let payload else { throw malformed("an opset import is not a message") }
                    var domain = ""
                    var version: UInt64 = 0
                    try fields(payload, "opset import") { number, value, inner throws(TensorFormatError) in
                        if number == 1 { domain = try string(inner, "opset domain") }
                        if number == 2 { version = value }
                    }
                    opsets.append("\(domain.isEmpty ? "ai.onnx" : domain) \(version)")
                case 14:
                    let (key, text) = try stringPair(payload, "metadata entry")
                    if !key.isEmpty, !key.hasPrefix("onnx.") { model.metadata[key] = text }
                default: break
                }
            }
            guard let graph else { throw malformed("the model holds no graph") }
            model.metadata["onnx.producer"] = [producer, producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
            model.metadata["onnx.opsets"] = opsets.joined(separator: ", ")
            let main = try self.graph(graph, depth: 0)
            model.nodes = main.nodes
            model.initializers = main.initializers
            if let heads = main.nodes.lazy.compactMap(\.heads).first(where: { $0 > 0 }), model.metadata[StoreMetadataKey.attentionHeads] == nil {
                model.metadata[StoreMetadataKey.attentionHeads] = String(heads)
            }
            // Graph inputs that are initializers (older exporters list them) are not the model's inputs.
            let initializerNames = Set(main.initializers.map(\.name))
            model.metadata["onnx.inputs"] = main.inputs.filter { !initializerNames.contains(String($0.prefix { $0 != " " })) }.joined(separator: "; ")
            model.metadata["onnx.outputs"] = main.outputs.joined(separator: "; ")
            model.metadata["onnx.nodes"] = String(main.nodes.count)
            var counts: [String: Int] = [:]
            for node in main.nodes { counts[node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)", default: 0] += 1 }
            model.metadata["onnx.ops"] = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return model
        }

        /// One graph: its nodes, initializers, and inputs and outputs as `summary` shows them (`name type [dims]`).
        struct Graph {
            var nodes: [Node] = []
            var initializers: [Tensor] = []
            var inputs: [String] = []
            var outputs: [String] = []
        }

        /// Reads the graph in `range`; its sub-graphs (If/Loop/Scan bodies) are read too, only to bound their depth.
        func graph(_ range: Range<Int>, depth: Int) throws(TensorFormatError) -> Graph {
            guard depth <= ONNXFile.maximumGraphDepth else {
                throw malformed("sub-graphs are nested more than \(ONNXFile.maximumGraphDepth) levels deep")
            }
            var graph = Graph()
            var subgraphs: [Range<Int>] = []
            try fields(range, "graph") { number, _, payload throws(TensorFormatError) in
                guard let payload, [1, 5, 11, 12].contains(number) else { return }
                switch number {
                case 1: graph.nodes.append(try node(payload, subgraphs: &subgraphs))
                case 5:
                    guard graph.initializers.count < ONNXFile.maximumInitializers else {
                        throw malformed("more than \(ONNXFile.maximumInitializers) initializers")
                    }
                    graph.initializers.append(try tensor(payload))
                case 11: graph.inputs.append(try valueInfo(payload))
                default: graph.outputs.append(try valueInfo(payload))
                }
            }
            for subgraph in subgraphs { _ = try self.graph(subgraph, depth: depth + 1) }
            return graph
        }

        func node(_ range: Range<Int>, subgraphs: inout [Range<Int>]) throws(TensorFormatError) -> Node {
            var node = Node(opType: "", domain: "", inputs: [], outputs: [], scope: nil, transB: false)
            var name = ""
            var namespace: String?
            try fields(range, "node") { number, _, payload throws(TensorFormatError) in
                switch number {
                case 1: node.inputs.append(try string(payload, "node input"))
                case 2: node.outputs.append(try string(payload, "node output"))
                case 3: name = try string(payload, "node name")
                case 4: node.opType = try string(payload, "node op_type")
                case 7: node.domain = try string(payload, "node domain")
                case 5:
                    guard let payload else { throw malformed("a node attribute is not a message") }
                    var attribute = ""
                    var integer: UInt64 = 0
                    try fields(payload, "attribute") { number, value, inner throws(TensorFormatError) in
                        switch number {
                        case 1: attribute = try string(inner, "attribute name")
                        case 3: integer = value
                        case 6: if let inner { subgraphs.append(inner) }
                        case 11: if let inner { subgraphs.append(inner) }
                        default: break
                        }
                    }
                    if attribute == "transB" { node.transB = integer != 0 }
                    if attribute == "num_heads" { node.heads = Int(truncatingIfNeeded: integer) }
                case 9:
                    let (key, text) = try stringPair(payload, "node metadata entry")
                    if key == "namespace" { namespace = text }
                default: break
                }
            }
            node.scope = Self.scope(nodeName: name, namespace: namespace)
            return node
        }

        /// The module path of a node: the last module segment of the dynamo `namespace`
        /// (`…/bert.embeddings: transformers…BertEmbeddings/add_10: aten.add.Tensor` → `bert.embeddings`), or the
        /// TorchScript node name without its last part (`/bert/pooler/dense/Gemm` → `bert.pooler.dense`).
        static func scope(nodeName: String, namespace: String?) -> String? {
            if let namespace {
                var module: String?
                for segment in namespace.split(separator: "/") {
                    guard let colon = segment.firstIndex(of: ":") else { continue }
                    let name = segment[..<colon]
                    let kind = segment[segment.index(after: colon)...].drop { $0 == " " }
                    if !kind.hasPrefix("aten."), !name.isEmpty { module = String(name) }
                }
                return module
            }
            guard nodeName.hasPrefix("/") else { return nil }
            let parts = nodeName.split(separator: "/")
            guard parts.count >= 2 else { return nil }
            return parts.dropLast().joined(separator: ".")
        }

        func valueInfo(_ range: Range<Int>) throws(TensorFormatError) -> String {
            var name = ""
            var description = ""
            try fields(range, "value info") { number, _, payload throws(TensorFormatError) in
                if number == 1 { name = try string(payload, "value name") }
                if number == 2, let payload { description = try type(payload) }
            }
            return description.isEmpty ? name : "\(name) \(description)"
        }

        /// `float32 [batch, sequence, 32]` for a tensor type.
        func type(_ range: Range<Int>) throws(TensorFormatError) -> String {
            var text = ""
            try fields(range, "type") { number, _, payload throws(TensorFormatError) in
                guard number == 1, let payload else { return }
                var element: UInt64 = 0
                var dims: [String] = []
                try fields(payload, "tensor type") { number, value, inner throws(TensorFormatError) in
                    if number == 1 { element = value }
                    if number == 2, let inner {
                        try fields(inner, "shape") { number, _, dim throws(TensorFormatError) in
                            guard number == 1, let dim else { return }
                            var shown = "?"
                            try fields(dim, "dimension") { number, value, param throws(TensorFormatError) in
                                if number == 1 { shown = String(Int64(bitPattern: value)) }
                                if number == 2 { shown = try string(param, "dimension name") }
                            }
                            dims.append(shown)
                        }
                    }
                }
                let elementName = ONNXModel.ElementType(rawValue: Int(truncatingIfNeeded: element)).map { $0.dtype.shortName } ?? "type \(element)"
                text = "\(elementName) [\(dims.joined(separator: ", "))]"
            }
            return text
        }

        /// An initializer: name, type, dims and where its data is.
        func tensor(_ range: Range<Int>) throws(TensorFormatError) -> Tensor {
            var name = ""
            var dataType: UInt64 = 0
            var dims: [Int] = []
            var raw: Range<Int>?
            var typed: [UInt8]?
            var external: [String: String] = [:]
            var location: UInt64 = 0
            var negative = false
            func appendDims(_ values: [UInt64]) {
                for value in values {
                    let dim = Int64(bitPattern: value)
                    if dim < 0 { negative = true }
                    dims.append(Int(dim))
                }
            }
            try fields(range, "tensor") { number, value, payload throws(TensorFormatError) in
                switch number {
                case 1:
                    if let payload { appendDims(try varints(payload)) } else { appendDims([value]) }
                case 2: dataType = value
                case 8: name = try string(payload, "tensor name")
                case 9: raw = payload
                case 4, 5, 7, 10:
                    // float_data (fixed32), int32_data / int64_data (varints), double_data (fixed64); packed or not.
                    var bytes = typed ?? []
                    if let payload {
                        if number == 4 || number == 10 {
                            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: self.bytes[payload]))
                        } else {
                            for item in try varints(payload) { append(item, number: number, to: &bytes) }
                        }
                    } else {
                        append(value, number: number, to: &bytes)
                    }
                    typed = bytes
                case 13:
                    let (key, text) = try stringPair(payload, "external data entry")
                    external[key] = text
                case 14: location = value
                default: break
                }
            }
            guard !negative else { throw TensorFormatError.invalidShape(path: path, tensor: name) }
            guard let dtype = Self.dtype(dataType) else {
                throw TensorFormatError.unknownDType(path: path, tensor: name, dtype: "ONNX data type \(dataType)")
            }
            let data: TensorData
            if location == 1 {
                guard let file = external["location"] else {
                    throw TensorFormatError.invalidTensorData(path: path, tensor: name, reason: "its data is external but names no location")
                }
                func number(_ key: String) throws(TensorFormatError) -> Int? {
                    guard let text = external[key] else { return nil }
                    guard let value = Int(text), value >= 0 else {
                        throw TensorFormatError.invalidTensorData(path: path, tensor: name, reason: "its external data \(key) '\(text)' is not a non-negative integer")
                    }
                    return value
                }
                data = .external(location: file, offset: try number("offset") ?? 0, length: try number("length"))
            } else if let raw {
                data = .raw(raw)
            } else if dtype == .f16 || dtype == .bf16, let typed {
                // FLOAT16 / BFLOAT16 in int32_data: one value per element in the low 16 bits.
                var narrowed: [UInt8] = []
                narrowed.reserveCapacity(typed.count / 2)
                for i in stride(from: 0, to: typed.count - 3, by: 4) { narrowed += [typed[i], typed[i + 1]] }
                data = .owned(narrowed)
            } else {
                data = .owned(typed ?? [])
            }
            return Tensor(name: name, dtype: dtype, dims: dims, data: data)
        }

        func varints(_ range: Range<Int>) throws(TensorFormatError) -> [UInt64] {
            var reader = ProtobufReader(bytes, from: range.lowerBound, to: range.upperBound)
            var values: [UInt64] = []
            while !reader.atEnd {
                guard let value = reader.varint() else { throw malformed("a packed integer list is cut short") }
                values.append(value)
            }
            return values
        }

        private func append(_ value: UInt64, number: UInt64, to bytes: inout [UInt8]) {
            if number == 7 {
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            } else {
                // int32_data (and float_data / double_data written unpacked: their bits as fixed32 / fixed64).
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian) { bytes.append(contentsOf: $0) }
            }
        }

        /// TensorProto.DataType → the stored dtype (nil for types bertinspect does not read: strings, complex, FP8
        /// variants without a safetensors name, 4-bit).
        static func dtype(_ value: UInt64) -> DType? {
            switch value {
            case 1: return .f32
            case 2: return .u8
            case 3: return .i8
            case 4: return .u16
            case 5: return .i16
            case 6: return .i32
            case 7: return .i64
            case 9: return .bool
            case 10: return .f16
            case 11: return .f64
            case 12: return .u32
            case 13: return .u64
            case 16: return .bf16
            case 17: return .f8e4m3
            case 19: return .f8e5m2
            default: return nil
            }
        }
    }
}
