import TensorFormats

/// The `model_config` attribute of a Keras-2 full-model save, read as inert JSON (never deserialised into
/// layers or executed): layer classes, trainable flags, and the BERT configuration a `TFBertMainLayer` carries.
struct KerasModelConfig {
    private var layers: [String: (className: String, trainable: Bool, config: JSONValue?)] = [:]
    private var modelTrainable = true

    init?(json text: String?) {
        guard let text, let root = try? JSONParser.parse(text) else { return nil }
        let config = root["config"]
        modelTrainable = config?["trainable"]?.boolValue ?? true
        for layer in config?["layers"]?.arrayValue ?? [] {
            guard let name = layer["config"]?["name"]?.stringValue ?? layer["name"]?.stringValue else { continue }
            var className = layer["class_name"]?.stringValue ?? "Layer"
            if let marker = className.lastIndex(of: ">") { className = String(className[className.index(after: marker)...]) }
            layers[name] = (className, layer["config"]?["trainable"]?.boolValue ?? true, layer["config"]?["config"])
        }
    }

    /// The Keras class of layer `name`, without a `Custom>` registration prefix.
    func className(of name: String) -> String? { layers[name]?.className }

    /// Whether the layer and the model are trainable (a frozen model freezes every layer).
    func isTrainable(layer name: String) -> Bool { modelTrainable && (layers[name]?.trainable ?? true) }

    /// The transformers `BertConfig` dictionary a serialised `TFBertMainLayer` carries.
    var bertConfig: JSONValue? {
        layers.values.first { $0.className.hasSuffix("BertMainLayer") }?.config
    }
}
