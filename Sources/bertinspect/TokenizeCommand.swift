import TensorFormats
import WordPiece

let tokenizeCommand = Command(
    name: "tokenize",
    abstract: "Tokenize text exactly as transformers' BertTokenizer does.",
    synopsis: ["--vocab FILE|FOLDER [--lower-case|--no-lower-case] [--pair TEXT] [--max-length N] [--json] [--] TEXT…",
               "--vocab FILE|FOLDER (--input FILE [--text-column COL] [--pair-column COL] | --texts-file FILE) [--json]"],
    discussion: """
    Prints tokens, input_ids, token_type_ids and attention_mask per text ([CLS] a [SEP] b [SEP] for pairs,
    truncation longest_first). `--` ends the options, so texts may begin with '-'. --vocab takes vocab.txt or a
    model folder (its vocab.txt and tokenizer_config.json). Without --lower-case/--no-lower-case, the folder's
    do_lower_case decides; without one, a cased vocabulary (capitalised words, as bert-base-cased's) is not
    lower-cased and an uncased one is, and a note on stderr says which was chosen. Texts may also come from
    --input (a CSV, TSV, JSON Lines or text file, '-' for standard input; --pair-column gives each its pair) or
    --texts-file; they are streamed, and with --json each result is printed as it comes, one JSON object per line
    (JSON Lines). Texts given as arguments alone print one JSON array.
    """,
    arguments: [ArgumentSpec(name: "TEXT", help: "Texts to tokenize.", count: 0...Int.max, completes: .none)],
    options: [
        .value("--vocab", placeholder: "FILE", help: "vocab.txt, or a model folder.", completes: .file),
        SharedOptions.lowerCase, SharedOptions.noLowerCase,
        .value("--pair", placeholder: "TEXT", help: "A second text for every text."),
        SharedOptions.textsFile, SharedOptions.input, SharedOptions.inputFormat, SharedOptions.textColumn, SharedOptions.pairColumn,
        .value("--max-length", placeholder: "N", help: "Truncate to N tokens (longest_first).", range: 2...1_000_000),
        .flag("--json", help: "Print JSON: an array for TEXT arguments, JSON Lines for --input or --texts-file."),
    ],
    examples: ["bertinspect tokenize --vocab fixtures/tokenizer/vocab.txt -- \"don't be so judgmental\"",
               "bertinspect tokenize --vocab fixtures/eval-sentiment/model --input fixtures/eval-sentiment/test.csv --text-column review --json"],
    run: runTokenize
)

func runTokenize(_ parsed: ParsedArguments) throws -> ExitCode {
    guard let vocab = parsed.value("--vocab") else { throw UsageError("--vocab FILE is required") }
    var source = try TextSource(parsed, skippingPositionals: 0)
    guard !source.isEmpty else { throw UsageError("give at least one TEXT, --input FILE or --texts-file FILE") }
    let lines = parsed.value("--input") != nil || parsed.value("--texts-file") != nil
    let maxLength = parsed.value("--max-length").map { _ in parsed.integer("--max-length", default: 512) }
    var vocabPath = vocab
    var recorded: Bool?
    if FilePath.isDirectory(vocab) == true {
        vocabPath = FilePath.join(vocab, "vocab.txt")
        let config = FilePath.join(vocab, "tokenizer_config.json")
        if FilePath.isRegularFile(config) {
            recorded = try MappedFile.withContents(of: config) { try JSONParser.parse($0) }["do_lower_case"]?.boolValue
        }
    }
    let vocabulary = try Vocabulary(contentsOfFile: vocabPath)
    let lowerCase = try lowerCaseChoice(try lowerCaseOption(parsed), recorded: recorded, vocabulary: vocabulary, path: vocabPath)
    let tokenizer = BERTTokenizer(vocabulary: vocabulary, lowerCase: lowerCase)
    let json = parsed.has("--json")
    var count = 0
    if json && !lines { print("[", terminator: "") }
    // One batch of texts at a time, each printed as soon as it is tokenized: memory does not grow with the input.
    while case let items = try source.batch(64), !items.isEmpty {
        for item in items {
            let encoding = tokenizer.encode(item.text, pair: item.pair, maxLength: maxLength)
            if json {
                var members: [(String, JSONValue)] = [("text", .string(item.text))]
                if let pair = item.pair { members.append(("pair", .string(pair))) }
                members += [
                    ("tokens", .array(encoding.tokens.map { .string($0) })),
                    ("input_ids", .array(encoding.inputIDs.map { .integer(Int64($0)) })),
                    ("token_type_ids", .array(encoding.tokenTypeIDs.map { .integer(Int64($0)) })),
                    ("attention_mask", .array(encoding.attentionMask.map { .integer(Int64($0)) })),
                ]
                let object = JSONValue.object(members).serialized()
                if lines { print(object) } else { print((count > 0 ? "," : "") + object, terminator: "") }
            } else {
                emit(shown(item.text) + (item.pair.map { "  +  " + shown($0) } ?? ""))
                emit("  tokens:          \(encoding.tokens.map(shown).joined(separator: " "))")
                emit("  input_ids:       \(encoding.inputIDs.map(String.init).joined(separator: " "))")
                emit("  token_type_ids:  \(encoding.tokenTypeIDs.map(String.init).joined(separator: " "))")
                emit("  attention_mask:  \(encoding.attentionMask.map(String.init).joined(separator: " "))")
            }
            count += 1
        }
    }
    if json && !lines { print("]") }
    return .success
}
