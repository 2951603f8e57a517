import FuzzDriver
import TensorFormats

/// The safetensors header validator and the strict JSON parser on arbitrary bytes: every input must be accepted
/// or rejected with an error, never crash; accepted headers must describe tensors inside the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    if let header = try? SafetensorsFile.parseHeader(bytes, path: "fuzz") {
        for tensor in header.tensors {
            let range = header.ranges[tensor.name]!
            precondition(header.dataStart + range.upperBound <= count, "a tensor lies outside the file")
            precondition(range.count == tensor.byteCount, "a tensor's size disagrees with its shape")
        }
    }
    if let value = try? JSONParser.parse(bytes) {
        precondition((try? JSONParser.parse(value.serialized())) == value, "JSON does not round-trip")
    }
    return 0
}

runFuzzer(fuzzOne)
