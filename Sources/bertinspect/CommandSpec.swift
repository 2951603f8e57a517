/// The command line described once, as data: each command's arguments and options (type, default, allowed values,
/// range, help line) and examples. The parser, `--help`, the one-line usage errors, the shell completions and the
/// man page are all made from these descriptions, so what is accepted and what is documented cannot drift apart
/// (in the spirit of swift-argument-parser's declarative model, without the dependency).

/// An option of a command.
struct OptionSpec: Sendable {
    enum Kind: Sendable {
        /// Present or not.
        case flag
        /// Takes one value (`--to h5`, `--to=h5`); given twice, the last one counts.
        case value
        /// Takes one value and may be given several times (`--text A --text B`).
        case repeated
    }

    /// Spellings, long name first (`--output`, `-o`).
    var names: [String]
    var kind: Kind
    /// What the value is called in help (`FILE`, `N`).
    var placeholder: String
    var help: String
    /// The default, as help shows it.
    var defaultValue: String?
    /// Allowed values, checked by the parser and offered by completions.
    var choices: [String]?
    /// Allowed integer range, checked (with overflow) by the parser.
    var range: ClosedRange<Int>?
    /// What completions offer for the value: a file, a folder, or nothing special.
    var completes: Completion

    enum Completion: Sendable { case none, file, directory }

    /// The canonical name (the first).
    var name: String { names[0] }

    static func flag(_ names: String..., help: String) -> OptionSpec {
        OptionSpec(names: names, kind: .flag, placeholder: "", help: help, completes: .none)
    }

    static func value(_ names: String..., placeholder: String, help: String, default defaultValue: String? = nil,
                      choices: [String]? = nil, range: ClosedRange<Int>? = nil, completes: Completion = .none) -> OptionSpec {
        OptionSpec(names: names, kind: .value, placeholder: placeholder, help: help, defaultValue: defaultValue, choices: choices,
                   range: range, completes: completes)
    }

    static func repeated(_ names: String..., placeholder: String, help: String, completes: Completion = .none) -> OptionSpec {
        OptionSpec(names: names, kind: .repeated, placeholder: placeholder, help: help, completes: completes)
    }

    /// `--to FORMAT` / `--json`, as usage lines show it.
    var usage: String {
        let shortest = names.count > 1 ? names.last! : name
        switch kind {
        case .flag: return shortest
        case .value, .repeated: return "\(shortest) \(choices.map { $0.joined(separator: "|") } ?? placeholder)"
        }
    }
}

/// A positional argument of a command.
struct ArgumentSpec: Sendable {
    var name: String
    var help: String
    /// How many may be given.
    var count: ClosedRange<Int>
    var completes: OptionSpec.Completion = .file
}

/// A command: what it is, what it takes, and the function it runs.
struct Command: Sendable {
    var name: String
    var abstract: String
    /// Usage lines after `bertinspect NAME`; the first is made from the arguments when empty.
    var synopsis: [String] = []
    var discussion: String
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    var examples: [String]
    var run: @Sendable (ParsedArguments) throws -> ExitCode

    /// Options every command takes.
    static let common: [OptionSpec] = [
        .flag("--help", "-h", help: "Show this help."),
        .flag("--quiet", "-q", help: "Print no status lines (device, notes) on stderr; results and errors still print."),
    ]

    var allOptions: [OptionSpec] { options + Self.common }

    /// The usage lines.
    var usageLines: [String] {
        if !synopsis.isEmpty { return synopsis.map { "bertinspect \(name) \($0)" } }
        let positional = arguments.map { $0.count.upperBound > 1 ? "\($0.name)…" : $0.name }
        let optional = options.map { "[\($0.usage)]" }
        return ["bertinspect \(name) " + (positional + optional).joined(separator: " ")]
    }

    /// `--help`: usage, description, arguments, options with defaults and allowed values, examples.
    var help: String {
        var text = "Usage: " + usageLines.joined(separator: "\n       ") + "\n\n" + discussion + "\n"
        if !arguments.isEmpty {
            text += "\nArguments:\n"
            let width = (arguments.map(\.name.count).max() ?? 0) + 2
            for argument in arguments { text += "  " + pad(argument.name, width) + argument.help + "\n" }
        }
        text += "\nOptions:\n"
        let labels = allOptions.map { option in
            option.names.joined(separator: ", ") + (option.kind == .flag ? "" : " " + option.placeholder)
        }
        let width = (labels.map(\.count).max() ?? 0) + 2
        for (label, option) in zip(labels, allOptions) {
            var line = option.help
            if let choices = option.choices { line += " One of: \(choices.joined(separator: ", "))." }
            if let value = option.defaultValue { line += " Default: \(value)." }
            text += "  " + pad(label, width) + line + "\n"
        }
        text += "\nExample\(examples.count > 1 ? "s" : ""):\n" + examples.map { "  " + $0 }.joined(separator: "\n") + "\n"
        return text
    }
}

/// The parsed command line of one command, checked against its description.
struct ParsedArguments {
    private(set) var flags: Set<String> = []
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []
    /// `-h`/`--help` was given as an option.
    private(set) var wantsHelp = false

    /// Parses `arguments` for `command`: `--` ends the options, `--name=value` and `--name value` both work, an
    /// option's value is never taken for an option (`--text -h` runs on the text "-h"), integers are range- and
    /// overflow-checked, choices are checked, and an unknown option suggests the closest known one.
    init(_ arguments: [String], for command: Command) throws {
        let options = command.allOptions
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            guard let option = options.last(where: { $0.names.contains(name) }) else {
                let known = options.flatMap(\.names)
                let hint = closest(to: name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
                throw UsageError("unknown option '\(name)'\(hint)")
            }
            switch option.kind {
            case .flag:
                guard inline == nil else { throw UsageError("\(option.name) takes no value") }
                if option.name == "--help" { wantsHelp = true }
                flags.insert(option.name)
            case .value, .repeated:
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard index < arguments.count else { throw UsageError("\(name) needs a value (\(option.placeholder))") }
                    value = arguments[index]
                    index += 1
                }
                try Self.check(value, for: option, as: name)
                values[option.name, default: []].append(value)
            }
        }
        if wantsHelp { return }
        let required = command.arguments.reduce(0) { $0 + $1.count.lowerBound }
        let allowed = command.arguments.reduce(0) { $0 + min($1.count.upperBound, Int.max / 2) }
        if positionals.count < required {
            throw UsageError("missing \(command.arguments.map(\.name).joined(separator: " "))")
        }
        if positionals.count > allowed {
            throw UsageError("expected \(command.arguments.map(\.name).joined(separator: " ")), got \(positionals.count) arguments")
        }
    }

    /// Checks a value against the option's choices and integer range.
    static func check(_ value: String, for option: OptionSpec, as name: String) throws {
        if let choices = option.choices, !choices.contains(value) {
            let hint = closest(to: value, among: choices).map { " (did you mean '\($0)'?)" } ?? ""
            throw UsageError("\(name) must be one of \(choices.joined(separator: ", ")), got '\(shown(value))'\(hint)")
        }
        if let range = option.range {
            guard let number = Int(value), range.contains(number) else {
                throw UsageError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(shown(value))'")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The last value given for `option` (by its canonical name).
    func value(_ option: String) -> String? { values[option]?.last }

    /// Every value given for a repeatable option, in order.
    func all(_ option: String) -> [String] { values[option] ?? [] }

    /// An integer option (already range-checked by the parser), or `fallback`.
    func integer(_ option: String, default fallback: Int) -> Int {
        value(option).flatMap { Int($0) } ?? fallback
    }

    /// A non-negative finite number option, or nil when not given.
    func number(_ option: String) throws -> Double? {
        guard let text = value(option) else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw UsageError("\(option) must be a non-negative number, got '\(shown(text))'")
        }
        return value
    }

    /// Exactly one positional argument.
    func single(_ what: String) throws -> String {
        guard positionals.count == 1 else {
            throw UsageError(positionals.isEmpty ? "missing \(what)" : "expected one \(what), got \(positionals.count)")
        }
        return positionals[0]
    }
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
func closest(to word: String, among candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let target = Array(word)
    let scored = candidates.map { ($0, distance(target, Array($0))) }.min { $0.1 < $1.1 }
    guard let (best, score) = scored, score <= max(2, word.count / 3) else { return nil }
    return best
}

/// Options several commands share, declared once.
enum SharedOptions {
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of text.")
    static let force = OptionSpec.flag("--force", help: "Overwrite an existing output file (never a device, FIFO or folder).")
    static let device = OptionSpec.value("--device", placeholder: "DEVICE",
                                         help: "Where the model runs: the CPU (OpenBLAS), CUDA, or CUDA when usable and else the CPU.",
                                         default: "auto", choices: ["cpu", "cuda", "auto"])
    static let tf32 = OptionSpec.flag("--tf32", help: "Let cuBLAS round matrix-product inputs to TF32 on tensor cores (CUDA only).")
    static let threads = OptionSpec.value("--threads", placeholder: "N", help: "OpenBLAS threads on the CPU.", range: 1...256)
    static let vocab = OptionSpec.value("--vocab", placeholder: "FILE", help: "vocab.txt to tokenize with (default: the model folder's).",
                                        completes: .file)
    static let lowerCase = OptionSpec.flag("--lower-case", help: "Lower-case and strip accents before WordPiece (do_lower_case=True).")
    static let noLowerCase = OptionSpec.flag("--no-lower-case", help: "Keep case and accents (do_lower_case=False).")
    static let maxLength = OptionSpec.value("--max-length", placeholder: "N", help: "Truncate each sequence to N tokens.",
                                            default: "min(128, max_position_embeddings)", range: 2...100_000)
    static let batchSize = OptionSpec.value("--batch-size", placeholder: "N", help: "Texts run together (memory holds one batch).",
                                            default: "32", range: 1...4096)
    static let text = OptionSpec.repeated("--text", placeholder: "TEXT", help: "A text to run (repeatable).")
    static let textsFile = OptionSpec.value("--texts-file", placeholder: "FILE",
                                            help: "Texts, one per line, read as needed ('-' reads standard input).", completes: .file)
    static let input = OptionSpec.value("--input", placeholder: "FILE",
                                        help: "Texts from a CSV, TSV, JSON Lines or text file, streamed ('-' reads standard input).", completes: .file)
    static let inputFormat = OptionSpec.value("--input-format", placeholder: "FORMAT", help: "--input's format when its extension does not say.",
                                              choices: ["text", "jsonl", "csv", "tsv"])
    static let textColumn = OptionSpec.value("--text-column", placeholder: "COL", help: "--input's text column (name or 0-based index).",
                                             default: "text, review or sentence")
    static let pairColumn = OptionSpec.value("--pair-column", placeholder: "COL",
                                             help: "--input's second text per example ([CLS] a [SEP] b [SEP]).")
    static let inputs: [OptionSpec] = [input, inputFormat, textColumn, pairColumn]

    static let model: [OptionSpec] = [device, tf32, threads]
    static let tokenizer: [OptionSpec] = [vocab, lowerCase, noLowerCase]
}
