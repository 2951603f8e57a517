import TensorFormats

/// An ids file for `verify --record`, read in batches: one sequence of token ids per line (separated by spaces,
/// tabs or commas; every line the same length), streamed so memory holds one batch; or a JSON object with
/// `input_ids` and optionally `attention_mask` and `token_type_ids`, read whole within the golden-file memory budget.
public final class IDsFile {
    /// The path, for messages.
    public let path: String
    private var lines: TextLines?
    private var json: EncoderInput?
    private var next = 0
    private var length: Int?

    /// Opens `path`, deciding the form from its first non-blank byte.
    public init(path: String) throws {
        self.path = path
        let isJSON = try MappedFile(path: path).withBytes { bytes in
            bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
        }
        if isJSON {
            json = try GoldenFile.parseInputs(try GoldenFile.readJSON(path: path, what: "ids file"), path: path)
        } else {
            lines = try TextLines(path: path)
        }
    }

    /// The next batch of at most `count` sequences, or nil at the end.
    public func batch(_ count: Int) throws -> EncoderInput? {
        if let json {
            guard next < json.batchSize else { return nil }
            let end = min(next + count, json.batchSize)
            defer { next = end }
            return EncoderInput(inputIDs: Array(json.inputIDs[next..<end]), attentionMask: Array(json.attentionMask[next..<end]),
                                tokenTypeIDs: Array(json.tokenTypeIDs[next..<end]))
        }
        guard let lines else { return nil }
        var rows: [[Int32]] = []
        while rows.count < count, let line = lines.next() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            var row: [Int32] = []
            for item in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
                guard let id = Int32(item) else {
                    throw TensorFormatError.invalidCompanion(path: path, reason: "line \(lines.lineNumber): '\(item.prefix(40))' is not a token id")
                }
                row.append(id)
            }
            guard !row.isEmpty, row.count == (length ?? row.count) else {
                throw TensorFormatError.invalidCompanion(
                    path: path, reason: "line \(lines.lineNumber) has \(row.count) ids, the first line \(length ?? 0); give sequences of one length")
            }
            length = row.count
            rows.append(row)
        }
        if let error = lines.error { throw error }
        if rows.isEmpty {
            guard length != nil else { throw TensorFormatError.invalidCompanion(path: path, reason: "the ids file holds no sequence") }
            return nil
        }
        return EncoderInput(inputIDs: rows)
    }
}
