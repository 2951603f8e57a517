#if canImport(Glibc)
import Glibc
#endif
import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

/// `--device` (already one of the allowed values: the parser checks it), `auto` when not given.
func deviceChoice(_ parsed: ParsedArguments) -> DeviceChoice {
    parsed.value("--device").flatMap(DeviceChoice.init(rawValue:)) ?? .auto
}

/// A checkpoint opened, loaded and prepared to run on a device, with its tokenizer when one is known.
struct ModelSession {
    var checkpoint: Checkpoint
    var model: BERTModel
    var runner: any ModelRunner
    /// `cpu` or `cuda`: where the model runs (the `device:` line and JSON `device` member).
    var deviceName: String

    /// Loads `path` and prepares the forward pass on `device` (see `PreparedModel`).
    init(path: String, device: DeviceChoice, threads: Int?, tf32: Bool) throws {
        checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
        model = try ModelLoader.load(checkpoint)
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        let prepared = try PreparedModel(model: model, weights: weights, device: device, threads: threads, tf32: tf32, path: checkpoint.weightsPath)
        runner = prepared.runner
        deviceName = prepared.deviceName
    }

    /// Runs one batch; an error about the input names `source` (the file the inputs came from) or else the model.
    func run(_ input: EncoderInput, source: String? = nil) throws -> ModelOutputs {
        do {
            return try runner.run(input)
        } catch let error as RuntimeError {
            throw error.naming(source ?? checkpoint.weightsPath)
        }
    }

    /// The longest input the model takes: its position embeddings (any length for the Embedding + CNN model).
    var maximumLength: Int? { model.architecture.hasEncoder ? model.configuration.maxPositionEmbeddings : nil }

    /// `--max-length` as given, or `min(128, max_position_embeddings)`; a given value over the model's maximum is a
    /// usage error that says the maximum.
    func maxLength(_ requested: Int?) throws -> Int {
        let limit = maximumLength ?? Int.max
        guard let requested else { return min(128, limit) }
        guard requested <= limit else {
            throw UsageError("--max-length \(requested) is more than this model's max_position_embeddings (\(limit)); use \(limit) or less")
        }
        return requested
    }

    /// A tokenizer from `--vocab` or the model folder's vocab.txt, lower-casing as `--lower-case`/`--no-lower-case`,
    /// tokenizer_config.json or BERT's default (lower-case) say. The vocabulary must fit the word embeddings.
    func tokenizer(vocab: String?, lowerCase: Bool?) throws -> BERTTokenizer {
        guard let path = vocab ?? checkpoint.vocabPath else {
            throw TensorFormatError.invalidCompanion(path: checkpoint.path, reason: "no vocab.txt beside the weights; give --vocab FILE")
        }
        let rows = model.architecture == .kerasCNN
            ? model.parameters.first { $0.spec.kind == .embedding }?.spec.shape[0] ?? 0 : model.configuration.vocabSize
        let vocabulary = try Vocabulary(contentsOfFile: path, maximumTokens: rows)
        guard vocabulary.count <= rows else {
            throw TensorFormatError.invalidCompanion(
                path: path, reason: "the vocabulary has \(vocabulary.count) tokens but the model's word embeddings have \(rows) rows")
        }
        return BERTTokenizer(vocabulary: vocabulary, lowerCase: try lowerCaseChoice(lowerCase, recorded: model.configuration.doLowerCase,
                                                                         vocabulary: vocabulary, path: path))
    }

    /// The tokenizer for texts both this model and `other` run on (verify and eval `--against`): this model's
    /// (or `vocab`), or, when this model has no vocab.txt and `other` has (a converted file OUT gets none), `other`'s,
    /// with a note saying so.
    func tokenizer(vocab: String?, lowerCase: Bool?, comparedWith other: ModelSession?) throws -> BERTTokenizer {
        if vocab == nil, checkpoint.vocabPath == nil, let other, let otherVocab = other.checkpoint.vocabPath {
            status("note: \(checkpoint.path) has no vocab.txt; the texts are tokenized with \(otherVocab)")
            return try other.tokenizer(vocab: nil, lowerCase: lowerCase)
        }
        return try tokenizer(vocab: vocab, lowerCase: lowerCase)
    }

    /// Whether the model takes token ids only (the notebook's Keras models), padded to a fixed length, no mask.
    var idsOnly: Bool { model.architecture == .bertCNN || model.architecture == .kerasCNN }
}

/// Whether to lower-case: as asked (`--lower-case`/`--no-lower-case`), else as tokenizer_config.json records, else
/// as the vocabulary shows: a cased vocabulary (capitalised whole words, like bert-base-cased's) is not lower-cased.
/// When the vocabulary decides, a note on stderr says which was chosen and why.
func lowerCaseChoice(_ asked: Bool?, recorded: Bool?, vocabulary: Vocabulary, path: String) throws -> Bool {
    if let choice = asked ?? recorded { return choice }
    let capitalised = vocabulary.capitalisedWords
    if vocabulary.looksCased {
        status("note: \(path) holds capitalised words (\(capitalised.prefix(3).joined(separator: ", ")), …): a cased vocabulary, so text is not lower-cased; --lower-case changes that")
        return false
    }
    return true
}


/// The `--tf32` flag, refused with `--device cpu` (where no tensor core could honour it).
func tf32Option(_ parsed: ParsedArguments, device: DeviceChoice) throws -> Bool {
    guard parsed.has("--tf32") else { return false }
    if device == .cpu { throw UsageError("--tf32 applies to CUDA; drop it or use --device cuda|auto") }
    return true
}

/// One text to encode, with the second text of its pair (`--pair TEXT`, or `--pair-column` of `--input`).
struct TextItem: Equatable {
    var text: String
    var pair: String?
}

/// The texts a command runs on, in order: `--text` values, then the lines of `--texts-file` (`-`: standard input,
/// read as they are needed), then the rows of `--input`, then extra positional arguments. Memory holds one batch,
/// not the file.
struct TextSource: Sequence, IteratorProtocol {
    private var given: [String]
    private var lines: TextLines?
    /// `--input`: the text column (and `--pair-column`) of a CSV, TSV, JSON Lines or text file.
    private var records: TextRecords?
    private var recordError: TensorFormatError?
    private var rest: [String]
    /// `--pair TEXT`: the second text of every text.
    private let pair: String?

    /// The texts `parsed` names; `positionalTexts` says how many leading positionals are not texts (a PATH).
    init(_ parsed: ParsedArguments, skippingPositionals skipped: Int = 1) throws {
        given = parsed.all("--text")
        pair = parsed.value("--pair")
        let pairColumn = parsed.value("--pair-column")
        if pairColumn != nil {
            guard parsed.value("--input") != nil else { throw UsageError("--pair-column names a column of --input FILE; give --input") }
            guard pair == nil else { throw UsageError("give --pair TEXT or --pair-column COL, not both") }
        }
        lines = try parsed.value("--texts-file").map { try TextLines(path: $0) }
        if let input = parsed.value("--input") {
            let format = parsed.value("--input-format").flatMap(TextRecordFormat.init(rawValue:)) ?? TextRecordFormat.implied(by: input)
            if pairColumn != nil, format == .text {
                throw UsageError("\(input): a plain text file has no columns; give a CSV, TSV or JSON Lines file for --pair-column")
            }
            records = try TextRecords(path: input, format: format, text: parsed.value("--text-column").map(TextColumn.init),
                                      pair: pairColumn.map(TextColumn.init))
        }
        rest = Array(parsed.positionals.dropFirst(skipped))
    }

    /// Whether the command line names any text at all.
    var isEmpty: Bool { given.isEmpty && lines == nil && records == nil && rest.isEmpty }

    /// Whether the texts come from standard input (which cannot be read twice).
    static func readsStandardInput(_ parsed: ParsedArguments) -> Bool {
        parsed.value("--texts-file") == "-" || parsed.value("--input") == "-"
    }

    mutating func next() -> TextItem? {
        if !given.isEmpty { return TextItem(text: given.removeFirst(), pair: pair) }
        if let lines, let line = lines.next() { return TextItem(text: line, pair: pair) }
        if let records, recordError == nil {
            do {
                if let record = try records.next() { return TextItem(text: record.text, pair: record.pair ?? pair) }
            } catch {
                recordError = error
                return nil
            }
        }
        if !rest.isEmpty { return TextItem(text: rest.removeFirst(), pair: pair) }
        return nil
    }

    /// Up to `count` more texts; throws the texts file's problem (invalid UTF-8, a malformed row, a read error) when
    /// one stopped it.
    mutating func batch(_ count: Int) throws -> [TextItem] {
        var items: [TextItem] = []
        while items.count < count, let item = next() { items.append(item) }
        if let error = lines?.error { throw error }
        if let recordError { throw recordError }
        return items
    }
}

/// Tokenizes `items` into one batch: padded to the longest (or, for ids-only models, to `maxLength`).
func encodeBatch(_ items: [TextItem], tokenizer: BERTTokenizer, maxLength: Int, idsOnly: Bool)
    -> (input: EncoderInput, encodings: [Encoding])
{
    encodeBatch(items.map(\.text), pairs: items.map(\.pair), tokenizer: tokenizer, maxLength: maxLength, idsOnly: idsOnly)
}

/// `encodeBatch` with a pair of its own (or none) for each text.
func encodeBatch(_ texts: [String], pairs: [String?], tokenizer: BERTTokenizer, maxLength: Int, idsOnly: Bool)
    -> (input: EncoderInput, encodings: [Encoding])
{
    let encodings = tokenizer.encodeBatch(texts, pairs: pairs, maxLength: maxLength, padTo: idsOnly ? maxLength : nil)
    return (encoderInput(encodings, idsOnly: idsOnly), encodings)
}

/// The model input of padded `encodings`. The notebook's Keras models are called with ids only, so BERT attends to
/// every position there.
func encoderInput(_ encodings: [Encoding], idsOnly: Bool) -> EncoderInput {
    let mask = idsOnly ? encodings.map { $0.attentionMask.map { _ in Int32(1) } } : encodings.map(\.attentionMask)
    return EncoderInput(inputIDs: encodings.map(\.inputIDs), attentionMask: mask, tokenTypeIDs: encodings.map(\.tokenTypeIDs))
}

/// The `--lower-case` / `--no-lower-case` choice, if given.
func lowerCaseOption(_ parsed: ParsedArguments) throws -> Bool? {
    if parsed.has("--lower-case"), parsed.has("--no-lower-case") { throw UsageError("give --lower-case or --no-lower-case, not both") }
    if parsed.has("--lower-case") { return true }
    if parsed.has("--no-lower-case") { return false }
    return nil
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
