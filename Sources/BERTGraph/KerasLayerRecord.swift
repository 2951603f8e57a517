import TensorFormats

/// More Keras layer records than a reader accepts; `count` when it is known. Internal: the loader turns it into
/// `GraphError.unsupported` naming the file.
struct RecordsTooMany: Error, Sendable {
    var count: Int?
}

/// The Keras structure of a model (layer order, classes, original weight names) recorded in a converted file's
/// metadata, so that converting back restores the original Keras layout exactly.
public struct KerasLayerRecord: Sendable, Equatable {
    public var name: String
    public var className: String
    /// (canonical parameter name, Keras weight name) in the order Keras listed them.
    public var weights: [(canonical: String, weightName: String)]

    public static func == (lhs: KerasLayerRecord, rhs: KerasLayerRecord) -> Bool {
        lhs.name == rhs.name && lhs.className == rhs.className
            && lhs.weights.map(\.canonical) == rhs.weights.map(\.canonical) && lhs.weights.map(\.weightName) == rhs.weights.map(\.weightName)
    }

    /// The metadata key holding the record (a JSON list).
    public static let metadataKey = "bertinspect.keras_layers"

    /// The records as JSON text.
    public static func encode(_ records: [KerasLayerRecord]) -> String {
        JSONValue.array(records.map { record in
            .object([
                ("name", .string(record.name)), ("class", .string(record.className)),
                ("weights", .array(record.weights.map { .array([.string($0.canonical), .string($0.weightName)]) })),
            ])
        }).serialized()
    }

    /// Records parsed from JSON text; nil when absent or malformed. More than `maximumRecords` records (or JSON too
    /// large to hold that many) throws, before they are all parsed.
    static func decode(_ text: String?, maximumRecords: Int = .max) throws(RecordsTooMany) -> [KerasLayerRecord]? {
        guard let text else { return nil }
        // A record is an object of a name, a class and pairs of names: allow 64 values per record on average.
        let budget = maximumRecords > Int.max / 64 ? Int.max : maximumRecords * 64
        let result: Result<JSONValue, JSONParseError> = Array(text.utf8).withUnsafeBytes { bytes in
            do throws(JSONParseError) { return .success(try JSONParser.parse(bytes, options: JSONParser.Options(maximumValues: budget))) } catch {
                return .failure(error)
            }
        }
        let parsed: JSONValue
        switch result {
        case let .success(value): parsed = value
        case let .failure(error):
            if case .tooManyValues = error.reason { throw RecordsTooMany(count: nil) }
            return nil
        }
        guard let list = parsed.arrayValue else { return nil }
        guard list.count <= maximumRecords else { throw RecordsTooMany(count: list.count) }
        var records: [KerasLayerRecord] = []
        for item in list {
            guard let name = item["name"]?.stringValue, let weights = item["weights"]?.arrayValue else { return nil }
            var pairs: [(String, String)] = []
            for pair in weights {
                guard let p = pair.arrayValue, p.count == 2, let c = p[0].stringValue, let w = p[1].stringValue else { return nil }
                pairs.append((c, w))
            }
            records.append(KerasLayerRecord(name: name, className: item["class"]?.stringValue ?? "Layer", weights: pairs))
        }
        return records
    }
}
