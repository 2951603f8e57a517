#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import BERTGraph
import HDF5Formats
import TensorFormats

/// Arbitrary bytes as a Keras 3 `.keras` archive: the zip directory, inflation of deflated members (bounded, CRC
/// checked), libhdf5 on the weights image in memory, config.json as inert data, then the model and every tensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let path = "/dev/shm/bertinspect-fuzz-\(getpid()).keras"
    writeFile(path, data, count)
    defer { unlink(path) }
    guard let store = try? KerasHDF5Store(path: path) else { return 0 }
    for tensor in store.tensors {
        _ = try? store.withBytes(of: tensor) { bytes in bytes.reduce(0) { $0 &+ $1 } }
    }
    _ = store.withArchivedWeights { $0.count }
    let checkpoint = try? Checkpoint.open(path, formats: [KerasArchiveFormat()])
    if let checkpoint, let model = try? ModelLoader.load(checkpoint) {
        _ = ModelSummary(model: model, checkpoint: checkpoint).json(includeTensors: true).serialized()
    }
    return 0
}

runFuzzer(fuzzOne)
