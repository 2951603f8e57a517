/// Where a conversion writes, by the rule transformers' `save_pretrained` users expect: an OUT ending in `/`, an
/// existing folder, or a name without a weights suffix (`.safetensors`, `.h5`, `.keras`, `.onnx`, `.gguf`) is a
/// folder, created with its parents, that receives the weights and their companion files; a file OUT is that file
/// alone (its folder created if missing), with companions only when asked. Without OUT the weights go beside the
/// input. Which companions a format has is the caller's to say.
public struct OutputLocation: Sendable {
    public var weightsPath: String
    public var folder: String
    /// Whether companion files are copied into `folder`.
    public var copiesCompanions: Bool
    /// Whether a missing companion may be written (a generated config.json) into `folder`.
    public var writesCompanions: Bool

    /// Suffixes that make an OUT a file rather than a folder.
    public static let weightSuffixes = [".safetensors", ".h5", ".keras", ".onnx", ".gguf"]

    /// Whether `output` names a file (not a folder) by the rule above.
    public static func isFile(_ output: String) -> Bool {
        guard !output.hasSuffix("/"), FilePath.isDirectory(output) != true else { return false }
        return FilePath.isRegularFile(output) || weightSuffixes.contains(where: output.lowercased().hasSuffix)
    }

    /// The location for writing `fileName` (a folder OUT's weights file) converted from the file at `input`;
    /// `withCompanions` asks for companions beside a file OUT. Refuses an OUT that exists and is neither a file nor a
    /// folder, and one that would replace the input.
    public init(input: String, output: String?, fileName: String, withCompanions: Bool) throws(OutputError) {
        let inputFolder = FilePath.directory(of: input)
        if let output {
            // Something that exists and is neither a folder nor a file (a device, a FIFO) is never written to.
            if !output.hasSuffix("/"), let kind = FilePath.nonRegularKind(output) { throw .notRegularFile(path: output, kind: kind) }
            if Self.isFile(output) {
                weightsPath = output
                folder = FilePath.directory(of: output)
                copiesCompanions = withCompanions
                writesCompanions = withCompanions
            } else {
                folder = output.count > 1 && output.hasSuffix("/") ? String(output.dropLast()) : output
                weightsPath = FilePath.join(folder, fileName)
                copiesCompanions = FilePath.realPath(folder) != FilePath.realPath(inputFolder)
                writesCompanions = true
            }
        } else {
            folder = inputFolder
            weightsPath = FilePath.join(folder, fileName)
            copiesCompanions = false
            writesCompanions = true
        }
        if let a = FilePath.realPath(weightsPath), a == FilePath.realPath(input) { throw .replacesInput(path: weightsPath) }
    }

    /// Creates the output folder and its parents.
    public func prepare() throws(OutputError) {
        try FilePath.makeDirectories(folder)
    }

    /// Copies the companions named `names` that exist beside `input` into the folder (when this location copies),
    /// each published through `open`; returns the names copied.
    public func copyCompanions(_ names: [String], besideInput input: String, open: (String) throws -> AtomicFile) throws -> [String] {
        guard copiesCompanions else { return [] }
        let source = FilePath.directory(of: input)
        var copied: [String] = []
        for name in names {
            let from = FilePath.join(source, name)
            guard FilePath.isRegularFile(from) else { continue }
            let file = try open(FilePath.join(folder, name))
            try MappedFile.withContents(of: from) { try file.write($0) }
            try file.commit()
            copied.append(name)
        }
        return copied
    }

    /// Writes `contents` as `name` in the folder when this location writes companions and the folder has none;
    /// returns whether it wrote.
    public func writeCompanionIfMissing(_ name: String, contents: String, open: (String) throws -> AtomicFile) throws -> Bool {
        let path = FilePath.join(folder, name)
        guard writesCompanions, !FilePath.isRegularFile(path) else { return false }
        let file = try open(path)
        try Array(contents.utf8).withUnsafeBytes { try file.write($0) }
        try file.commit()
        return true
    }
}
