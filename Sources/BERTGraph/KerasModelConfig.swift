import TensorFormats

/// The `model_config` attribute of a Keras-2 full-model save (or the config.json of a Keras 3 `.keras` archive, the
/// same structure), read as inert JSON (never deserialised into
/// layers or executed): layer classes, trainable flags, and the BERT configuration a `TFBertMainLayer` carries.
public struct KerasModelConfig {
    private var layers: [String: (className: String, trainable: Bool, config: JSONValue?)] = [:]
    private var modelTrainable = true
    /// The Keras class of the whole model as the save records it (`Functional`, `Sequential`, a subclass name).
    public private(set) var modelClass: String?
    /// Layers whose configuration holds Python code (a `Lambda` layer's marshalled bytecode, `__lambda__`): data here,
    /// never unmarshalled or run, but worth telling the user, since Keras' loader would run it with safe_mode off.
    public private(set) var codeLayers: [String] = []

    public init?(json text: String?) {
        guard let text, let root = try? JSONParser.parse(text) else { return nil }
        let config = root["config"]
        modelClass = root["class_name"]?.stringValue
        modelTrainable = config?["trainable"]?.boolValue ?? true
        for layer in config?["layers"]?.arrayValue ?? [] {
            guard let name = layer["config"]?["name"]?.stringValue ?? layer["name"]?.stringValue else { continue }
            var className = layer["class_name"]?.stringValue ?? "Layer"
            if let marker = className.lastIndex(of: ">") { className = String(className[className.index(after: marker)...]) }
            layers[name] = (className, layer["config"]?["trainable"]?.boolValue ?? true, layer["config"]?["config"])
            if className == "Lambda" || layer["config"]?["function"]?["class_name"]?.stringValue == "__lambda__" { codeLayers.append(name) }
        }
    }

    /// Whether the configuration lists the model's layers (a functional or Sequential model does; a subclassed
    /// model's holds only its constructor arguments).
    public var listsLayers: Bool { !layers.isEmpty }

    /// The Keras class of layer `name`, without a `Custom>` registration prefix.
    public func className(of name: String) -> String? { layers[name]?.className }

    /// Whether the layer and the model are trainable (a frozen model freezes every layer).
    public func isTrainable(layer name: String) -> Bool { modelTrainable && (layers[name]?.trainable ?? true) }

    /// The transformers `BertConfig` dictionary a serialised `TFBertMainLayer` carries.
    public var bertConfig: JSONValue? {
        layers.values.first { $0.className.hasSuffix("BertMainLayer") }?.config
    }
}

extension KerasModelConfig {
    /// `text` (a Keras `model_config`) with the `trainable` flag of each named top-level layer set as given.
    /// Returns nil when the text is not a Keras model configuration.
    public static func settingTrainable(_ text: String, _ flags: [String: Bool]) -> String? {
        guard let root = try? JSONParser.parse(text), var rootMembers = root.objectValue,
              let configIndex = rootMembers.firstIndex(where: { $0.0 == "config" }),
              var config = rootMembers[configIndex].1.objectValue,
              let layersIndex = config.firstIndex(where: { $0.0 == "layers" }),
              let layers = config[layersIndex].1.arrayValue
        else { return nil }
        let updated = layers.map { layer -> JSONValue in
            guard var members = layer.objectValue, let index = members.firstIndex(where: { $0.0 == "config" }),
                  var layerConfig = members[index].1.objectValue,
                  let name = layerConfig.first(where: { $0.0 == "name" })?.1.stringValue, let flag = flags[name]
            else { return layer }
            if let t = layerConfig.firstIndex(where: { $0.0 == "trainable" }) { layerConfig[t].1 = .bool(flag) }
            else { layerConfig.append(("trainable", .bool(flag))) }
            members[index].1 = .object(layerConfig)
            return .object(members)
        }
        config[layersIndex].1 = .array(updated)
        rootMembers[configIndex].1 = .object(config)
        return JSONValue.object(rootMembers).serialized()
    }
}
