#if canImport(Glibc)
import Glibc
#endif

/// The layouts a file of texts may have.
public enum TextRecordFormat: String, Sendable, CaseIterable {
    /// One text per line; empty lines skipped; no labels.
    case text
    /// One JSON object per line; columns are keys.
    case jsonl
    /// RFC 4180 comma-separated values with a header row: quoted fields may hold commas, `""` and line breaks (a
    /// quote inside an unquoted field is kept as text, as Python's csv module and pandas keep it).
    case csv
    /// Tab-separated values with a header row, quoted as CSV is.
    case tsv

    /// The format a file name implies (`.jsonl`/`.ndjson`, `.csv`, `.tsv`/`.tab`, anything else plain text).
    public static func implied(by path: String) -> TextRecordFormat {
        let name = FilePath.fileName(of: path).lowercased()
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return .tsv }
        return .text
    }
}

/// A column named by its header (or JSON key) or by its 0-based index.
public enum TextColumn: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case index(Int)

    /// `3` is an index, anything else a name.
    public init(_ text: String) {
        if let index = Int(text), index >= 0 { self = .index(index) } else { self = .name(text) }
    }

    public var description: String {
        switch self {
        case let .name(name): return "'\(name)'"
        case let .index(index): return "\(index)"
        }
    }
}

/// One example read from a file of texts.
public struct TextRecord: Sendable, Equatable {
    public var text: String
    public var pair: String?
    public var label: String?
    /// The 1-based line where the record starts.
    public var line: Int
}

/// Reads texts (and optional pairs and labels) from a file or standard input (`-`) one record at a time, in chunks,
/// so memory does not grow with the number of records. A leading UTF-8 byte-order mark is skipped; `\n` and `\r\n`
/// end records. Problems (a ragged row, an unterminated quote, a missing column, invalid UTF-8 or JSON) throw
/// `TensorFormatError.invalidRecord` naming the line and, for tables, the column.
public final class TextRecords {
    public let path: String
    public let format: TextRecordFormat
    /// Longest record accepted.
    public static let maximumRecordLength = 64 << 20
    /// Most columns in a row.
    public static let maximumColumns = 10_000

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    private var line = 1
    private var header: [String] = []
    private var columns: (text: Int?, pair: Int?, label: Int?) = (nil, nil, nil)
    private let textColumn: TextColumn?
    private let pairColumn: TextColumn?
    private let labelColumn: TextColumn?

    /// Opens `path` (`-`: standard input). For CSV and TSV the header row is read at once and the columns resolved:
    /// the text column defaults to the first of `text`, `review`, `sentence` present, else column 0.
    public init(path: String, format: TextRecordFormat, text: TextColumn? = nil, pair: TextColumn? = nil, label: TextColumn? = nil) throws(TensorFormatError) {
        self.path = path
        self.format = format
        textColumn = text
        pairColumn = pair
        labelColumn = label
        descriptor = path == "-" ? 0 : try InputFile.open(path).descriptor
        try fill()
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        if format == .csv || format == .tsv {
            guard let row = try nextRow() else { throw fail(line: 1, "the file is empty: no header row") }
            header = row.fields
            func resolve(_ column: TextColumn?, _ role: String) throws(TensorFormatError) -> Int? {
                guard let column else { return nil }
                switch column {
                case let .index(index):
                    guard index < header.count else { throw fail(line: 1, "there is no column \(index) for the \(role) (the header has \(header.count))") }
                    return index
                case let .name(name):
                    guard let index = header.firstIndex(of: name) else {
                        throw fail(line: 1, "no column named '\(name)' for the \(role) (columns: \(header.joined(separator: ", ")))")
                    }
                    return index
                }
            }
            let defaultText = ["text", "review", "sentence"].first(where: header.contains).map { TextColumn.name($0) } ?? .index(0)
            columns = (try resolve(text ?? defaultText, "text"), try resolve(pair, "pair"), try resolve(label, "label"))
        }
    }

    deinit {
        if descriptor != 0 { close(descriptor) }
    }

    /// The column names of a CSV or TSV file's header row.
    public var headerNames: [String] { header }

    /// The next record, or nil at the end of the file.
    public func next() throws(TensorFormatError) -> TextRecord? {
        switch format {
        case .text:
            while let (bytes, number) = try nextLine() {
                if bytes.isEmpty { continue }
                return TextRecord(text: try decode(bytes, line: number), pair: nil, label: nil, line: number)
            }
            return nil
        case .jsonl:
            while let (bytes, number) = try nextLine() {
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let value: JSONValue
                do {
                    value = try bytes.withUnsafeBytes { raw throws(JSONParseError) in try JSONParser.parse(raw) }
                } catch let error as JSONParseError {
                    throw fail(line: number, "not valid JSON: \(error.description)")
                } catch {
                    throw fail(line: number, "not valid JSON")
                }
                guard value.objectValue != nil else { throw fail(line: number, "not a JSON object") }
                func field(_ column: TextColumn?, _ role: String, required: Bool) throws(TensorFormatError) -> String? {
                    guard let column else { return nil }
                    let key: String
                    switch column {
                    case let .name(name): key = name
                    case let .index(index):
                        guard let members = value.objectValue, index < members.count else { throw fail(line: number, "there is no member \(index) for the \(role)") }
                        key = members[index].0
                    }
                    guard let item = value[key] else {
                        if required { throw fail(line: number, "no key '\(key)' for the \(role)") }
                        return nil
                    }
                    if let text = item.stringValue { return text }
                    if let number = item.intValue { return String(number) }
                    if case let .bool(flag) = item { return flag ? "1" : "0" }
                    throw fail(line: number, "the \(role) ('\(key)') is not a string or an integer")
                }
                let defaultText = ["text", "review", "sentence"].first { value[$0] != nil }.map { TextColumn.name($0) } ?? .name("text")
                let text = try field(textColumn ?? defaultText, "text", required: true) ?? ""
                return TextRecord(text: text, pair: try field(pairColumn, "pair", required: true),
                                  label: try field(labelColumn, "label", required: true), line: number)
            }
            return nil
        case .csv, .tsv:
            guard let row = try nextRow() else { return nil }
            guard row.fields.count == header.count else {
                throw fail(line: row.line, "column \(min(row.fields.count, header.count) + 1): the row has \(row.fields.count) fields, the header \(header.count)")
            }
            return TextRecord(text: columns.text.map { row.fields[$0] } ?? "", pair: columns.pair.map { row.fields[$0] },
                              label: columns.label.map { row.fields[$0] }, line: row.line)
        }
    }

    // MARK: - Reading

    private func fail(line: Int, _ reason: String) -> TensorFormatError { .invalidRecord(path: path, line: line, reason: reason) }

    private func decode(_ bytes: ArraySlice<UInt8>, line: Int) throws(TensorFormatError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail(line: line, "not valid UTF-8") }
        return text
    }

    /// One line without its `\n` / `\r\n`, and its number; nil at the end.
    private func nextLine() throws(TensorFormatError) -> (ArraySlice<UInt8>, Int)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let bytes = buffer[start..<end]
                start = newline + 1
                defer { line += 1 }
                return (bytes, line)
            }
            guard buffer.count - start <= Self.maximumRecordLength else {
                throw fail(line: line, "the line is longer than \(Self.maximumRecordLength) bytes")
            }
            if ended {
                guard start < buffer.count else { return nil }
                var bytes = buffer[start...]
                if bytes.last == 0x0D { bytes = bytes.dropLast() }
                start = buffer.count
                defer { line += 1 }
                return (bytes, line)
            }
            try fill()
        }
    }

    /// One CSV/TSV row (RFC 4180: quoted fields may hold the delimiter, `""` and line breaks); nil at the end.
    private func nextRow() throws(TensorFormatError) -> (fields: [String], line: Int)? {
        let delimiter: UInt8 = format == .tsv ? 0x09 : 0x2C
        while true {
            // Skip blank lines between rows.
            while start < buffer.count, buffer[start] == 0x0A || buffer[start] == 0x0D {
                if buffer[start] == 0x0A { line += 1 }
                start += 1
            }
            if start >= buffer.count {
                if ended { return nil }
                try fill()
                continue
            }
            break
        }
        let first = line
        var fields: [String] = []
        var field: [UInt8] = []
        var position = start
        var quoted = false, wasQuoted = false, newlines = 0
        func need() throws(TensorFormatError) -> Bool {
            // More bytes for the current row: keep what is parsed so far by restarting from the row's start.
            if ended { return false }
            guard buffer.count - start <= Self.maximumRecordLength else {
                throw fail(line: first, "the row is longer than \(Self.maximumRecordLength) bytes")
            }
            let offset = position - start
            try fill()
            position = start + offset
            return true
        }
        while true {
            if position >= buffer.count {
                if try need() { continue }
                if quoted { throw fail(line: first, "column \(fields.count + 1): a quoted field is not closed before the end of the file") }
                fields.append(try decode(field[...], line: first))
                start = buffer.count
                line += newlines
                return (fields, first)
            }
            let byte = buffer[position]
            if quoted {
                if byte == 0x22 {
                    if position + 1 >= buffer.count, try need() { continue }
                    if position + 1 < buffer.count, buffer[position + 1] == 0x22 {
                        field.append(0x22)
                        position += 2
                        continue
                    }
                    quoted = false
                    position += 1
                    continue
                }
                if byte == 0x0A { newlines += 1 }
                field.append(byte)
                position += 1
                continue
            }
            switch byte {
            case 0x22 where field.isEmpty && !wasQuoted:
                quoted = true
                wasQuoted = true
                position += 1
            case delimiter:
                fields.append(try decode(field[...], line: first))
                guard fields.count < Self.maximumColumns else { throw fail(line: first, "more than \(Self.maximumColumns) columns") }
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
                position += 1
            case 0x0D where position + 1 < buffer.count && buffer[position + 1] == 0x0A, 0x0A:
                fields.append(try decode(field[...], line: first))
                start = position + (byte == 0x0D ? 2 : 1)
                line += newlines + 1
                return (fields, first)
            case 0x0D where position + 1 >= buffer.count && !ended:
                if try need() { continue }
            default:
                // As Python's csv module and pandas read them: a quote inside an unquoted field, or text after a
                // closing quote, is kept as it is.
                field.append(byte)
                position += 1
            }
        }
    }

    /// Reads the next chunk, dropping what was consumed.
    private func fill() throws(TensorFormatError) {
        guard let count = InputFile.readChunk(descriptor, into: &buffer, consumed: &start) else {
            throw .cannotOpen(path: path, reason: systemError())
        }
        if count == 0 { ended = true }
    }
}
