import FuzzDriver
import TensorFormats

/// The PyTorch pickle checkpoint reader (zip directory, pickle machine, legacy stream, view checks) on arbitrary bytes:
/// every input is accepted or refused with an error, never a crash; every accepted tensor reads exactly its byte size
/// from inside the input (AddressSanitizer catches a view that leaves it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    guard let contents = try? PyTorchContents.parse(bytes, path: "fuzz") else { return 0 }
    for tensor in contents.tensors {
        let read = contents.withBytes(of: tensor.name, in: bytes) { view -> Int in
            var sum = 0
            for byte in view { sum &+= Int(byte) }
            return view.count + (sum & 0)
        }
        precondition(read == tensor.byteCount, "a tensor read \(read) bytes, not \(tensor.byteCount)")
    }
    return 0
}

runFuzzer(fuzzOne)
