import FuzzDriver
import TensorFormats

/// The TensorFlow checkpoint index reader (SSTable blocks and CRCs, bundle header, BundleEntryProto fields) and the
/// object-graph name reader on arbitrary bytes: every input is accepted or refused with an error, never a crash;
/// accepted entries have valid shapes and sizes that match them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    if let (shards, entries) = try? TensorFlowCheckpoint.readIndex(bytes, path: "fuzz") {
        precondition(shards >= 1, "a bundle with no shard was accepted")
        for (_, entry) in entries {
            precondition(entry.shape.count <= 8 && entry.shape.allSatisfy { $0 >= 0 }, "an invalid shape was accepted")
        }
    }
    _ = TensorFlowCheckpoint.objectGraphNames(bytes)
    return 0
}

runFuzzer(fuzzOne)
