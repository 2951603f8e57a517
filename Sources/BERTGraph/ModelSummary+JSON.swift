import TensorFormats

extension ModelSummary {
    /// The versioned JSON form (`bertinspect.summary/1`).
    public func json(includeTensors: Bool) -> JSONValue {
        var config: [(String, JSONValue)] = []
        var sources: [(String, JSONValue)] = []
        if hasEncoder {
            for field in BERTConfiguration.fieldNames {
                switch field {
                case "layer_norm_eps": config.append((field, .number(configuration.layerNormEps)))
                case "hidden_act": config.append((field, .string(configuration.hiddenAct)))
                default:
                    if let value = configuration.integer(field) { config.append((field, .integer(Int64(value)))) }
                    else { config.append((field, .null)) }
                }
                if let source = configuration.sources[field] { sources.append((field, .string(source.rawValue))) }
            }
            if !configuration.id2label.isEmpty {
                config.append(("id2label", .object(configuration.id2label.keys.sorted().map { (String($0), .string(configuration.id2label[$0]!)) })))
            }
        }
        var members: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("path", .string(path)),
            ("weights_file", .string(weightsFile)),
            ("other_weights", .array(otherWeights.map { .string($0) })),
            ("format", .string(format)),
            ("layout", .string(layout)),
            ("naming", .string(naming)),
            ("graph", graph.isEmpty ? .null : .object(graph.map { (String($0.label.lowercased().map { $0 == " " ? "_" : $0 }), .string($0.value)) })),
            ("architecture", .string(architectureName)),
            ("config", .object(config)),
            ("config_source", .object(sources)),
            ("parameters", .object([("total", .integer(Int64(total))), ("trainable", trainable.map { .integer(Int64($0)) } ?? .null),
                                    ("non_trainable", nonTrainable.map { .integer(Int64($0)) } ?? .null)])),
            ("bytes", .integer(Int64(bytes))),
            ("parameter_bytes", .integer(Int64(parameterBytes))),
            ("tied_values", .integer(Int64(tiedValues))),
            ("file_size", .integer(Int64(fileSize))),
            ("dtypes", .object(dtypes.map { ($0.dtype.rawValue, .integer(Int64($0.parameters))) })),
            ("frozen", .array(frozen.map { .string($0) })),
            ("layers", .array(layers.map(Self.json))),
            ("warnings", .array(warnings.map { .string($0) })),
        ]
        if includeTensors {
            members.append(("tensors", .array(tensors.map { row in
                .object([
                    ("name", .string(row.storedName)), ("canonical", .string(row.canonicalName)), ("dtype", .string(row.dtype.rawValue)),
                    ("shape", .array(row.shape.map { .integer(Int64($0)) })), ("bytes", .integer(Int64(row.bytes))),
                ])
            })))
        }
        return .object(members)
    }

    static func json(_ node: SummaryNode) -> JSONValue {
        let trainable: JSONValue = node.trainableParameters == nil ? .null : node.trainable.map { .bool($0) } ?? .string("partial")
        var members: [(String, JSONValue)] = [
            ("name", .string(node.name)), ("type", .string(node.type)), ("parameters", .integer(Int64(node.parameters))),
            ("trainable_parameters", node.trainableParameters.map { .integer(Int64($0)) } ?? .null), ("trainable", trainable),
        ]
        if let shape = node.shape { members.append(("dims", .array(shape.map { .integer(Int64($0)) }))) }
        members.append(("children", .array(node.children.map(json))))
        return .object(members)
    }
}
