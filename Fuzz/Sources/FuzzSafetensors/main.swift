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
    // Every value reads back as it was written, except numbers beyond a double's range: they read as infinity, as
    // Python's json reads them (a golden file's infinite expected value is written 1e400), and the writer gives
    // null for a non-finite number, which JSON cannot hold.
    if let value = try? JSONParser.parse(bytes), allFinite(value) {
        precondition((try? JSONParser.parse(value.serialized())) == value, "JSON does not round-trip")
    }
    return 0
}

func allFinite(_ value: JSONValue) -> Bool {
    switch value {
    case let .number(d): return d.isFinite
    case let .floats(f): return f.allSatisfy(\.isFinite)
    case let .array(items): return items.allSatisfy(allFinite)
    case let .object(members): return members.allSatisfy { allFinite($0.1) }
    default: return true
    }
}

runFuzzer(fuzzOne)
