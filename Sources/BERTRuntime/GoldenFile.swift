import TensorFormats

/// How close two outputs must be: `|actual − expected| ≤ atol + rtol·|expected|` for every compared value.
public struct Tolerance: Sendable, Equatable {
    /// `atol`.
    public var absolute: Double
    /// `rtol`.
    public var relative: Double

    /// A tolerance of `absolute` plus `relative` times the expected magnitude.
    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    /// transformers' own BERT integration tests: atol = rtol = 1e-4.
    public static let standard = Tolerance(absolute: 1e-4, relative: 1e-4)
}

/// Inputs and the outputs a framework computed for them (schema `bertinspect.golden/1`), to check a forward pass
/// against.
///
/// `inputs.input_ids` is required; `attention_mask` defaults to ones and `token_type_ids` to zeros. `outputs` holds
/// any of `logits`, `seq_relationship_logits`, `pooler_output`, `last_hidden_state` as nested arrays.
public struct GoldenFile: Sendable, Equatable {
    /// The schema string this type reads and writes.
    public static let schema = "bertinspect.golden/1"
    /// Output names the schema defines.
    public static let outputNames = ModelOutputs.goldenNames
    /// Largest golden file read.
    public static let maximumSize = 1 << 30

    /// The batch the outputs were computed for.
    public var input: EncoderInput
    /// Expected outputs by name.
    public var outputs: [String: FloatTensor]
    /// The tolerance the writer asks for (1e-4 when the file names none).
    public var tolerance: Tolerance
    /// Who wrote the file (`tensorflow 2.19.1 / …`), if recorded.
    public var writer: String?
    /// Free text the writer left (how the inputs were fed).
    public var note: String?

    /// A golden file from its parts.
    public init(input: EncoderInput, outputs: [String: FloatTensor], tolerance: Tolerance = .standard,
                writer: String? = nil, note: String? = nil) {
        self.input = input
        self.outputs = outputs
        self.tolerance = tolerance
        self.writer = writer
        self.note = note
    }

    /// A golden file recording what a forward pass returned for `input` (the outputs the schema defines).
    public init(input: EncoderInput, outputs: ModelOutputs, tolerance: Tolerance = .standard, writer: String? = nil) {
        self.init(input: input, outputs: Dictionary(uniqueKeysWithValues: outputs.named.map { ($0.name, $0.tensor) }),
                  tolerance: tolerance, writer: writer)
    }

    /// Reads and validates the golden file at `path`.
    ///
    /// Memory stays within about twice the file's size: numbers are parsed straight from the mapped file into
    /// compact float32 / int32 arrays, a file whose values would need more is refused before they are held, and the
    /// mapping is released before the values are gathered into tensors.
    public static func read(path: String) throws -> GoldenFile {
        try parse(try readJSON(path: path, what: "golden file"), path: path)
    }

    /// Parses a golden or ids JSON file with compact numbers and the memory budget of `read(path:)`.
    public static func readJSON(path: String, what: String) throws -> JSONValue {
        let file = try MappedFile(path: path)
        guard file.count <= maximumSize else { throw RuntimeError.goldenMalformed(path: path, reason: "the file is larger than 1 GiB") }
        let options = JSONParser.Options(compactNumbers: true, maximumValues: (2 * file.count + (256 << 20)) / 8)
        do {
            return try file.withBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes, options: options) }
        } catch {
            if case .tooManyValues = error.reason {
                throw RuntimeError.goldenMalformed(
                    path: path, reason: "the \(what) holds more numbers than bertinspect keeps in memory for a file of \(file.count) bytes (at most \(options.maximumValues))")
            }
            throw RuntimeError.goldenMalformed(path: path, reason: "not valid JSON: \(error.description)")
        }
    }

    /// Validates a parsed golden file; `path` names it in errors.
    public static func parse(_ json: JSONValue, path: String) throws(RuntimeError) -> GoldenFile {
        guard json.objectValue != nil else { throw .goldenMalformed(path: path, reason: "the top level is not an object") }
        guard let schema = json["schema"]?.stringValue else { throw .goldenMalformed(path: path, reason: "no 'schema' string") }
        guard schema == Self.schema else { throw .goldenSchema(path: path, found: schema) }
        guard let inputs = json["inputs"], inputs.objectValue != nil else {
            throw .goldenMalformed(path: path, reason: "no 'inputs' object")
        }
        let input = try parseInputs(inputs, prefix: "inputs.", path: path)
        let batch = input.batchSize, length = input.sequenceLength

        guard let outputMembers = json["outputs"]?.objectValue else { throw .goldenMalformed(path: path, reason: "no 'outputs' object") }
        guard !outputMembers.isEmpty else { throw .goldenMalformed(path: path, reason: "'outputs' is empty") }
        var outputs: [String: FloatTensor] = [:]
        for (name, value) in outputMembers {
            guard outputNames.contains(name) else {
                throw .goldenMalformed(path: path, reason: "unknown output '\(name)' (expected \(outputNames.joined(separator: ", ")))")
            }
            let tensor = try floatTensor(value, field: "outputs." + name, path: path)
            try checkShape(tensor.shape, of: name, batch: batch, length: length, path: path)
            outputs[name] = tensor
        }
        if let hidden = outputs["last_hidden_state"], let pooled = outputs["pooler_output"], hidden.shape[2] != pooled.shape[1] {
            throw .goldenShape(path: path, field: "outputs.pooler_output", expected: formatShape([batch, hidden.shape[2]]),
                               actual: pooled.shape)
        }

        var tolerance = Tolerance.standard
        if let value = json["tolerance"] {
            guard let absolute = value["atol"]?.doubleValue, let relative = value["rtol"]?.doubleValue,
                  absolute >= 0, relative >= 0 else {
                throw .goldenMalformed(path: path, reason: "'tolerance' needs non-negative numbers 'atol' and 'rtol'")
            }
            tolerance = Tolerance(absolute: absolute, relative: relative)
        }
        return GoldenFile(input: input, outputs: outputs, tolerance: tolerance, writer: json["writer"]?.stringValue,
                          note: json["note"]?.stringValue)
    }

    /// Validates a batch given as an object of `input_ids` and optionally `attention_mask` and `token_type_ids`
    /// (a golden file's `inputs`, or an ids file); `path` names the file in errors.
    public static func parseInputs(_ inputs: JSONValue, path: String) throws(RuntimeError) -> EncoderInput {
        guard inputs.objectValue != nil else { throw .goldenMalformed(path: path, reason: "the top level is not an object") }
        return try parseInputs(inputs, prefix: "", path: path)
    }

    /// The batch in the object `inputs`, its fields named `prefix` + name in errors.
    static func parseInputs(_ inputs: JSONValue, prefix: String, path: String) throws(RuntimeError) -> EncoderInput {
        guard let idsValue = inputs["input_ids"] else { throw .goldenMalformed(path: path, reason: "no '\(prefix)input_ids'") }
        let ids = try integerMatrix(idsValue, field: prefix + "input_ids", path: path)
        guard !ids.isEmpty, let length = ids.first?.count, length > 0 else {
            throw .goldenShape(path: path, field: prefix + "input_ids", expected: "[batch ≥ 1, sequence ≥ 1]", actual: [ids.count, 0])
        }
        let batch = ids.count
        func companion(_ name: String) throws(RuntimeError) -> [[Int32]]? {
            guard let value = inputs[name] else { return nil }
            let matrix = try integerMatrix(value, field: prefix + name, path: path)
            guard matrix.count == batch, matrix.allSatisfy({ $0.count == length }) else {
                throw .goldenShape(path: path, field: prefix + name, expected: formatShape([batch, length]),
                                   actual: [matrix.count, matrix.first?.count ?? 0])
            }
            return matrix
        }
        let input = EncoderInput(inputIDs: ids, attentionMask: try companion("attention_mask"),
                                 tokenTypeIDs: try companion("token_type_ids"))
        do { try input.validateShape() } catch { throw .goldenMalformed(path: path, reason: error.description) }
        return input
    }

    /// Checks an output's rank and the dimensions the inputs fix.
    static func checkShape(_ shape: [Int], of name: String, batch: Int, length: Int, path: String) throws(RuntimeError) {
        let field = "outputs." + name
        let valid: Bool
        let expected: String
        switch name {
        case "logits":
            expected = "[\(batch), labels] or [\(batch), \(length), labels]"
            valid = (shape.count == 2 && shape[0] == batch) || (shape.count == 3 && shape[0] == batch && shape[1] == length)
        case "seq_relationship_logits":
            expected = "[\(batch), 2]"
            valid = shape == [batch, 2]
        case "pooler_output":
            expected = "[\(batch), hidden]"
            valid = shape.count == 2 && shape[0] == batch
        default:
            expected = "[\(batch), \(length), hidden]"
            valid = shape.count == 3 && shape[0] == batch && shape[1] == length
        }
        guard valid, shape.allSatisfy({ $0 > 0 }) else { throw .goldenShape(path: path, field: field, expected: expected, actual: shape) }
    }

    /// A rectangular 2-D array of integers that fit Int32.
    static func integerMatrix(_ value: JSONValue, field: String, path: String) throws(RuntimeError) -> [[Int32]] {
        guard case let .array(rows) = value else { throw .goldenMalformed(path: path, reason: "'\(field)' is not an array of arrays") }
        var matrix: [[Int32]] = []
        matrix.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard row.arrayCount != nil else { throw .goldenMalformed(path: path, reason: "'\(field)[\(index)]' is not an array") }
            guard let values = row.int32Array else {
                throw .goldenMalformed(path: path, reason: "'\(field)[\(index)]' holds a value that is not a 32-bit integer")
            }
            matrix.append(values)
        }
        if let first = matrix.first, let ragged = matrix.firstIndex(where: { $0.count != first.count }) {
            throw .goldenShape(path: path, field: field, expected: "rows of \(first.count) values", actual: [matrix.count, matrix[ragged].count])
        }
        return matrix
    }

    /// A rectangular nested array of numbers as a tensor.
    static func floatTensor(_ value: JSONValue, field: String, path: String) throws(RuntimeError) -> FloatTensor {
        var shape: [Int] = []
        var probe = value
        while case let .array(elements) = probe {
            shape.append(elements.count)
            guard let first = elements.first else { break }
            probe = first
        }
        if let innermost = probe.arrayCount { shape.append(innermost) }
        guard !shape.isEmpty else { throw .goldenMalformed(path: path, reason: "'\(field)' is not an array") }
        var values: [Float] = []
        values.reserveCapacity(shape.reduce(1, *))
        func collect(_ value: JSONValue, depth: Int) throws(RuntimeError) {
            if depth == shape.count - 1 {
                guard value.arrayCount == shape[depth] else {
                    throw .goldenMalformed(path: path, reason: "'\(field)' is not a rectangular array of shape \(formatShape(shape))")
                }
                guard let numbers = value.floatArray else {
                    throw .goldenMalformed(path: path, reason: "'\(field)' holds a value that is not a number")
                }
                values.append(contentsOf: numbers)
                return
            }
            guard case let .array(elements) = value, elements.count == shape[depth] else {
                throw .goldenMalformed(path: path, reason: "'\(field)' is not a rectangular array of shape \(formatShape(shape))")
            }
            for element in elements { try collect(element, depth: depth + 1) }
        }
        try collect(value, depth: 0)
        return FloatTensor(shape: shape, values: values)
    }

    /// A tensor as nested JSON arrays; every float as the decimal of its exact value, so it reads back bit for bit.
    static func nested(_ tensor: FloatTensor) -> JSONValue {
        func build(_ depth: Int, _ offset: Int) -> JSONValue {
            if depth == tensor.shape.count { return .number(Double(tensor.values[offset])) }
            let stride = tensor.shape[(depth + 1)...].reduce(1, *)
            return .array((0..<tensor.shape[depth]).map { build(depth + 1, offset + $0 * stride) })
        }
        return build(0, 0)
    }

    /// The file as JSON text; every float is written as the decimal of its exact value, so it reads back bit for bit.
    public func serialized() -> String {
        func matrix(_ rows: [[Int32]]) -> JSONValue { .array(rows.map { .array($0.map { .integer(Int64($0)) }) }) }
        let nested = Self.nested
        var members: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("inputs", .object([
                ("input_ids", matrix(input.inputIDs)),
                ("attention_mask", matrix(input.attentionMask)),
                ("token_type_ids", matrix(input.tokenTypeIDs)),
            ])),
            ("outputs", .object(Self.outputNames.compactMap { name in outputs[name].map { (name, nested($0)) } })),
            ("tolerance", .object([("atol", .number(tolerance.absolute)), ("rtol", .number(tolerance.relative))])),
        ]
        if let writer { members.append(("writer", .string(writer))) }
        if let note { members.append(("note", .string(note))) }
        return JSONValue.object(members).serialized() + "\n"
    }
}
