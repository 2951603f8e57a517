#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import BERTGraph
import TensorFormats

/// Arbitrary bytes as an ONNX model in a folder that also holds an external data file (`weights.bin`) and a
/// symbolic link out of the folder: protobuf framing (varints, lengths, nested messages, sub-graph depth), tensor
/// dims and data sizes, external-data locations and ranges, the name mapping through node scopes, then the model and
/// every tensor. Every input is read or refused with an error, never a crash or a read outside a file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let folder = "/dev/shm/bertinspect-fuzz-onnx-\(getpid())"
    if access(folder, F_OK) != 0 {
        mkdir(folder, 0o700)
        var weights = [UInt8](repeating: 0, count: 4096)
        for i in weights.indices { weights[i] = UInt8(truncatingIfNeeded: i &* 31) }
        weights.withUnsafeBufferPointer { writeFile(folder + "/weights.bin", $0.baseAddress!, $0.count) }
        symlink("/etc/hostname", folder + "/link.bin")
    }
    let path = folder + "/model.onnx"
    writeFile(path, data, count)
    defer { unlink(path) }
    guard let store = try? ONNXFile(path: path) else { return 0 }
    for tensor in store.tensors {
        let size = tensor.byteCount
        _ = try? store.withBytes(of: tensor) { bytes in
            precondition(bytes.count == size, "a tensor's bytes do not match its shape and dtype")
            return bytes.reduce(0) { $0 &+ $1 }
        }
    }
    let checkpoint = try? Checkpoint.open(path, formats: [ONNXFormat()])
    if let checkpoint, let model = try? ModelLoader.load(checkpoint) {
        _ = ModelSummary(model: model, checkpoint: checkpoint).json(includeTensors: true).serialized()
    }
    return 0
}

runFuzzer(fuzzOne)
