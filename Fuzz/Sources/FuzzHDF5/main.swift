#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import BERTGraph
import HDF5Formats
import TensorFormats

/// Arbitrary bytes as an HDF5 file through the real reader: libhdf5 parses it, bertinspect walks it, recognises a
/// Keras layout and builds the model, reading every tensor's bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let path = "/dev/shm/bertinspect-fuzz-\(getpid()).h5"
    writeFile(path, data, count)
    defer { unlink(path) }
    guard let store = try? KerasHDF5Store(path: path) else { return 0 }
    for tensor in store.tensors {
        _ = try? store.withBytes(of: tensor) { bytes in bytes.reduce(0) { $0 &+ $1 } }
    }
    let checkpoint = try? Checkpoint.open(path, formats: [HDF5Format()])
    if let checkpoint, let model = try? ModelLoader.load(checkpoint) {
        _ = ModelSummary(model: model, checkpoint: checkpoint).json(includeTensors: true).serialized()
    }
    return 0
}

runFuzzer(fuzzOne)
