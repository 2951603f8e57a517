import FuzzDriver
import BERTRuntime
import TensorFormats

/// Golden files: schema, shapes and values validated; a parsed file must serialise and parse back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    guard let json = try? JSONParser.parse(UnsafeRawBufferPointer(start: data, count: count)),
          let golden = try? GoldenFile.parse(json, path: "fuzz")
    else { return 0 }
    let again = try? GoldenFile.parse(JSONParser.parse(golden.serialized()), path: "fuzz")
    precondition(again?.input == golden.input, "a golden file does not round-trip")
    return 0
}

runFuzzer(fuzzOne)
