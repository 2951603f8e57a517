#if canImport(Glibc)
import Glibc
#endif
import FuzzDriver
import BERTGraph
import HDF5Formats
import TensorFormats

/// The HDF5 datatype paths, fuzzed where they are parsed: the fuzzer's bytes replace the datatype messages of a real
/// file (every float datatype of `fixtures/h5-big-endian/tf_model.h5`, or every fixed-length string datatype of
/// `fixtures/h5-fixed-strings/tf_model.h5`), so libhdf5 and bertinspect's float, integer and string checks see every
/// combination of class, size, byte order, bit fields, exponent bias, normalisation, padding and string padding,
/// inside an otherwise valid checkpoint. Run from the repository root (`make fuzz` does).
struct Template {
    var bytes: [UInt8]
    /// Offsets of the datatype messages to overwrite, and their length.
    var offsets: [Int]
    var length: Int

    /// Finds every datatype message of a file whose first bytes are `prefix` (version/class byte, bit field, size).
    init(path: String, prefix: [UInt8?], length: Int) {
        let fd = open(path, O_RDONLY)
        var data = [UInt8]()
        if fd >= 0 {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                data += chunk[0..<n]
            }
            close(fd)
        }
        bytes = data
        self.length = length
        offsets = data.count < prefix.count ? [] : (0...(data.count - prefix.count)).filter { start in
            prefix.indices.allSatisfy { prefix[$0] == nil || data[start + $0] == prefix[$0]! }
        }
    }
}

/// Float datatype message, version 1: class 1, bit field (big-endian: bit 0 set; sign at bit 31), size 4, offset 0,
/// precision 32, exponent at 23 of 8 bits, mantissa at 0 of 23 bits, bias 127: 20 bytes.
nonisolated(unsafe) let floats = Template(
    path: "fixtures/h5-big-endian/tf_model.h5",
    prefix: [0x11, nil, nil, nil, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0], length: 20)
/// Fixed-length string datatype message, version 1: class 3, padding and character set, size: 8 bytes.
nonisolated(unsafe) let strings = Template(path: "fixtures/h5-fixed-strings/tf_model.h5", prefix: [0x13, nil, 0, 0, nil, 0, 0, 0], length: 8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let first = input.first else { return 0 }
    let template = first & 1 == 0 ? floats : strings
    guard !template.offsets.isEmpty, input.count > template.length else { return 0 }
    var file = template.bytes
    let message = Array(input[1...template.length])
    // Which messages to replace: a bit each (the rest keep their valid type), so one bad type among good ones too.
    let mask = input.count > template.length + 1 ? input[template.length + 1] : 0xFF
    for (index, offset) in template.offsets.enumerated() where mask & (1 << (index % 8)) != 0 {
        file.replaceSubrange(offset..<(offset + template.length), with: message)
    }
    let path = "/dev/shm/bertinspect-fuzz-types-\(getpid()).h5"
    file.withUnsafeBufferPointer { writeFile(path, $0.baseAddress!, $0.count) }
    defer { unlink(path) }
    guard let checkpoint = try? Checkpoint.open(path, formats: [HDF5Format()]) else { return 0 }
    for tensor in checkpoint.store.tensors {
        _ = try? checkpoint.store.withBytes(of: tensor) { bytes in bytes.reduce(0) { $0 &+ $1 } }
    }
    if let model = try? ModelLoader.load(checkpoint) {
        _ = ModelSummary(model: model, checkpoint: checkpoint).json(includeTensors: true).serialized()
    }
    return 0
}

runFuzzer(fuzzOne)
