import FuzzDriver
import BERTGraph

/// A Keras `model_config` as inert JSON: layer classes, trainable flags, and rewriting the flags.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    if let config = KerasModelConfig(json: text) {
        _ = config.className(of: "bert")
        _ = config.isTrainable(layer: "conv1d")
        _ = config.bertConfig?.serialized()
    }
    if let rewritten = KerasModelConfig.settingTrainable(text, ["bert": false, "dense": true]) {
        precondition(KerasModelConfig(json: rewritten) != nil, "a rewritten config no longer parses")
    }
    return 0
}

runFuzzer(fuzzOne)
