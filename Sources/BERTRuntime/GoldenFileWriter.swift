import TensorFormats

/// Writes a golden file (`bertinspect.golden/1`) batch by batch, so that recording outputs for many sequences needs
/// memory for one batch only.
///
/// The file holds all inputs before all outputs, so each input and output array is first written, row by row, to
/// a temporary fragment beside the destination; `finish` then writes the header and copies the fragments in schema
/// order into the output. Fragments are removed whatever happens (they are never-committed `AtomicFile`s).
public final class GoldenFileWriter {
    private let destination: AtomicFile
    private let tolerance: Tolerance
    private let writer: String?
    private var fragments: [(name: String, file: AtomicFile, rows: Int)] = []
    private var outputNames: [String]?
    private var sequenceLength: Int?
    /// Sequences written so far.
    public private(set) var count = 0

    /// Writes into `destination` (not yet committed) once `finish` is called.
    public init(destination: AtomicFile, tolerance: Tolerance, writer: String?) {
        self.destination = destination
        self.tolerance = tolerance
        self.writer = writer
    }

    private func fragment(_ name: String) throws -> Int {
        if let index = fragments.firstIndex(where: { $0.name == name }) { return index }
        let path = FilePath.join(FilePath.directory(of: destination.destination), ".bertinspect-fragment-\(name)")
        fragments.append((name, try AtomicFile(destination: path, overwrite: true), 0))
        return fragments.count - 1
    }

    private func append(_ name: String, rows: [String]) throws {
        let index = try fragment(name)
        var text = ""
        for row in rows {
            if fragments[index].rows > 0 || !text.isEmpty { text += "," }
            text += row
        }
        fragments[index].rows += rows.count
        try Array(text.utf8).withUnsafeBytes { try fragments[index].file.write($0) }
    }

    /// Adds one batch and the outputs computed for it; every batch must have the same sequence length and outputs.
    public func append(input: EncoderInput, outputs: ModelOutputs) throws {
        let named = outputs.named
        if let outputNames, outputNames != named.map(\.name) {
            throw RuntimeError.invalidInput(reason: "a batch produced other outputs than the first")
        }
        if let sequenceLength, sequenceLength != input.sequenceLength {
            throw RuntimeError.invalidInput(reason: "sequence \(count) has \(input.sequenceLength) tokens, sequence 0 has \(sequenceLength); give sequences of one length")
        }
        outputNames = named.map(\.name)
        sequenceLength = input.sequenceLength
        func rows(_ matrix: [[Int32]]) -> [String] { matrix.map { JSONValue.array($0.map { .integer(Int64($0)) }).serialized() } }
        try append("input_ids", rows: rows(input.inputIDs))
        try append("attention_mask", rows: rows(input.attentionMask))
        try append("token_type_ids", rows: rows(input.tokenTypeIDs))
        for (name, tensor) in named {
            let stride = tensor.shape.dropFirst().reduce(1, *)
            let items = (0..<input.batchSize).map { row -> String in
                let slice = FloatTensor(shape: Array(tensor.shape.dropFirst()), values: Array(tensor.values[(row * stride)..<((row + 1) * stride)]))
                return GoldenFile.nested(slice).serialized()
            }
            try append("output-" + name, rows: items)
        }
        count += input.batchSize
    }

    /// Writes the whole file into the destination (which the caller then commits).
    public func finish() throws {
        func write(_ text: String) throws { try Array(text.utf8).withUnsafeBytes { try destination.write($0) } }
        func copy(_ name: String) throws {
            guard let index = fragments.firstIndex(where: { $0.name == name }) else { return }
            fragments[index].file.startWriteback()
            // In chunks whose pages are dropped once written, so a gigabyte of recorded outputs is never resident.
            let contents = try MappedFile(path: fragments[index].file.temporaryPath)
            let chunk = 8 << 20
            var offset = 0
            while offset < contents.count {
                let end = min(offset + chunk, contents.count)
                try contents.withBytes { try destination.write(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
                contents.discardPages(offset..<end)
                offset = end
            }
        }
        try write("{\"schema\":\"\(GoldenFile.schema)\",\"inputs\":{")
        for (i, name) in ["input_ids", "attention_mask", "token_type_ids"].enumerated() {
            try write((i > 0 ? "," : "") + "\"\(name)\":[")
            try copy(name)
            try write("]")
        }
        try write("},\"outputs\":{")
        for (i, name) in (outputNames ?? []).enumerated() {
            try write((i > 0 ? "," : "") + "\"\(name)\":[")
            try copy("output-" + name)
            try write("]")
        }
        var tail: [(String, JSONValue)] = [("tolerance", .object([("atol", .number(tolerance.absolute)), ("rtol", .number(tolerance.relative))]))]
        if let writer { tail.append(("writer", .string(writer))) }
        let members = JSONValue.object(tail).serialized()
        try write("}," + members.dropFirst() + "\n")
    }
}
