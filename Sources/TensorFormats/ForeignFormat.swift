/// Checkpoint formats bertinspect recognises but does not read, named so that the user hears what the file is and
/// what to do instead of "not a checkpoint". Recognised by content (magic numbers, archive member names), the
/// name only where the content has no signature of its own (TensorFlow checkpoints, SavedModel).
public enum ForeignFormat: Sendable, Equatable {
    case torchScript, keras3Archive, tensorflowCheckpoint, savedModel, onnx, gguf, gitLFSPointer

    /// What the file is, as the error names it.
    public var name: String {
        switch self {
        case .torchScript: return "a TorchScript archive"
        case .keras3Archive: return "a Keras 3 .keras archive"
        case .tensorflowCheckpoint: return "a TensorFlow checkpoint"
        case .savedModel: return "a TensorFlow SavedModel"
        case .onnx: return "an ONNX model"
        case .gguf: return "a GGUF file"
        case .gitLFSPointer: return "a Git LFS pointer (the weights themselves were never downloaded)"
        }
    }

    /// What to do instead.
    public var advice: String {
        switch self {
        case .torchScript: return "export the weights with save_pretrained(dir, safe_serialization=True) instead"
        case .keras3Archive: return "it is a zip: unzip it and pass its model.weights.h5"
        case .tensorflowCheckpoint: return "save the weights with a .h5 name (model.save_weights(\"weights.h5\")) or save_pretrained"
        case .savedModel: return "pass the tf_model.h5 (save_pretrained) or a .h5 save_weights file instead"
        case .onnx: return "bertinspect reads ONNX models that begin with their ir_version field, as onnx.save and torch.onnx.export write them; re-save it with onnx.save(onnx.load(path), path)"
        case .gguf: return "bertinspect writes GGUF (convert --to gguf) but reads it only as an output; pass the checkpoint it was exported from"
        case .gitLFSPointer: return "fetch the file with 'git lfs pull' (the repository was cloned without git-lfs)"
        }
    }

    /// The foreign format of a file from its name and first bytes (up to 1,024) and its last bytes (up to 64 KiB,
    /// where a zip keeps its directory of member names), or nil.
    public static func identify(name: String, prefix: UnsafeRawBufferPointer, suffix: UnsafeRawBufferPointer) -> ForeignFormat? {
        let head = Array(prefix.prefix(16))
        func contains(_ text: String, in bytes: UnsafeRawBufferPointer) -> Bool { containsBytes(bytes, text.utf8) }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            if contains("model.weights.h5", in: suffix) || contains("metadata.json", in: suffix) { return .keras3Archive }
            if contains("/code/", in: suffix) || contains("constants.pkl", in: suffix) { return .torchScript }
            return nil
        }
        if prefix.starts(with: Array("version https://git-lfs.github.com/spec/".utf8)) { return .gitLFSPointer }
        if head.starts(with: Array("GGUF".utf8)) { return .gguf }
        if name.hasSuffix(".onnx") || (head.first == 0x08 && contains("onnx", in: prefix)) { return .onnx }
        if name == "saved_model.pb" || name == "saved_model.pbtxt" { return .savedModel }
        if name.hasSuffix(".index") || name.contains(".data-0") { return .tensorflowCheckpoint }
        return nil
    }

    /// The foreign format of the file at `path`, reading its first and last bytes; nil when it is none of them
    /// or cannot be read.
    public static func identify(path: String) -> ForeignFormat? {
        guard let file = try? MappedFile(path: path) else { return nil }
        return file.withBytes { bytes in
            let prefix = UnsafeRawBufferPointer(rebasing: bytes.prefix(1024))
            let suffix = UnsafeRawBufferPointer(rebasing: bytes.suffix(64 << 10))
            return identify(name: FilePath.fileName(of: path), prefix: prefix, suffix: suffix)
        }
    }

    /// A foreign checkpoint file in a model folder that holds no weights file bertinspect reads, with its format.
    public static func find(in directory: String) -> (name: String, format: ForeignFormat)? {
        let names = FilePath.contents(of: directory)
        let ordered = names.filter { ["pytorch_model.bin", "model.keras", "saved_model.pb"].contains($0) }
            + names.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") || $0.hasSuffix(".keras")
                || $0.hasSuffix(".index") || $0.hasSuffix(".onnx") || $0.hasSuffix(".gguf") }
        for name in ordered {
            let path = FilePath.join(directory, name)
            guard FilePath.isRegularFile(path), let format = identify(path: path) else { continue }
            return (name, format)
        }
        return nil
    }
}

/// Whether `needle` occurs in `haystack`, compared byte for byte: no Unicode processing, and none of the substring
/// search machinery `String.contains` brings in (costly to set up in a short-lived process).
@inlinable
public func containsBytes<Haystack: Collection, Needle: Collection>(_ haystack: Haystack, _ needle: Needle) -> Bool
    where Haystack.Element == UInt8, Needle.Element == UInt8
{
    guard let first = needle.first else { return true }
    var start = haystack.startIndex
    while let found = haystack[start...].firstIndex(of: first) {
        if haystack[found...].starts(with: needle) { return true }
        start = haystack.index(after: found)
    }
    return false
}
