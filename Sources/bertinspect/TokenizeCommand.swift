import TensorFormats
import WordPiece

let tokenizeCommand = Command(
    name: "tokenize",
    abstract: "Tokenize text exactly as transformers' BertTokenizer does.",
    synopsis: ["--vocab FILE|FOLDER [--lower-case|--no-lower-case] [--pair TEXT] [--max-length N] [--json] [--] TEXT…"],
    discussion: """
    Prints tokens, input_ids, token_type_ids and attention_mask per text ([CLS] a [SEP] b [SEP] for pairs,
    truncation longest_first). `--` ends the options, so texts may begin with '-'. --vocab takes vocab.txt or a
    model folder (its vocab.txt and tokenizer_config.json). Without --lower-case/--no-lower-case, the folder's
    do_lower_case decides; without one, a cased vocabulary (capitalised words, as bert-base-cased's) is not
    lower-cased and an uncased one is, and a note on stderr says which was chosen.
    """,
    arguments: [ArgumentSpec(name: "TEXT", help: "Texts to tokenize.", count: 1...Int.max, completes: .none)],
    options: [
        .value("--vocab", placeholder: "FILE", help: "vocab.txt, or a model folder.", completes: .file),
        SharedOptions.lowerCase, SharedOptions.noLowerCase,
        .value("--pair", placeholder: "TEXT", help: "A second text for every text."),
        .value("--max-length", placeholder: "N", help: "Truncate to N tokens (longest_first).", range: 2...1_000_000),
        .flag("--json", help: "Print a JSON array."),
    ],
    examples: ["bertinspect tokenize --vocab fixtures/tokenizer/vocab.txt -- \"don't be so judgmental\""],
    run: runTokenize
)

func runTokenize(_ parsed: ParsedArguments) throws -> ExitCode {
    guard let vocab = parsed.value("--vocab") else { throw UsageError("--vocab FILE is required") }
    guard !parsed.positionals.isEmpty else { throw UsageError("give at least one TEXT") }
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
    var results: [JSONValue] = []
    for text in parsed.positionals {
        let encoding = tokenizer.encode(text, pair: parsed.value("--pair"), maxLength: maxLength)
        if parsed.has("--json") {
            results.append(.object([
                ("text", .string(text)), ("tokens", .array(encoding.tokens.map { .string($0) })),
                ("input_ids", .array(encoding.inputIDs.map { .integer(Int64($0)) })),
                ("token_type_ids", .array(encoding.tokenTypeIDs.map { .integer(Int64($0)) })),
                ("attention_mask", .array(encoding.attentionMask.map { .integer(Int64($0)) })),
            ]))
        } else {
            emit(shown(text))
            emit("  tokens:          \(encoding.tokens.map(shown).joined(separator: " "))")
            emit("  input_ids:       \(encoding.inputIDs.map(String.init).joined(separator: " "))")
            emit("  token_type_ids:  \(encoding.tokenTypeIDs.map(String.init).joined(separator: " "))")
            emit("  attention_mask:  \(encoding.attentionMask.map(String.init).joined(separator: " "))")
        }
    }
    if parsed.has("--json") { print(JSONValue.array(results).serialized()) }
    return .success
}
