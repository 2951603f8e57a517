/// Why a vocabulary could not be loaded; every case names the file, and `description` is one sentence.
public enum WordPieceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read; `reason` is the system's explanation.
    case cannotRead(path: String, reason: String)
    /// The file is larger than ``Vocabulary/maximumFileSize``.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// The bytes at `byteOffset` (on 1-based `line`) are not valid UTF-8.
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// The file holds more tokens than the model's word embeddings have rows (or than any vocabulary should).
    case tooManyTokens(path: String, count: Int, limit: Int)
    /// The file holds no token at all.
    case emptyVocabulary(path: String)
    /// A special token BERT needs ([UNK], [CLS], [SEP] or [PAD]) is not in the vocabulary.
    case missingSpecialToken(path: String, token: String)

    /// One sentence that names the file and says what is wrong with it.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "\(path): cannot read the vocabulary file: \(reason)."
        case let .fileTooLarge(path, size, limit):
            return "\(path): the vocabulary file is \(size) bytes, over the \(limit)-byte limit."
        case let .invalidUTF8(path, line, byteOffset):
            return "\(path): line \(line) of the vocabulary is not valid UTF-8 (byte offset \(byteOffset))."
        case let .tooManyTokens(path, count, limit):
            return "\(path): the vocabulary has \(count) lines, more than the \(limit) the model's word embeddings can take."
        case let .emptyVocabulary(path):
            return "\(path): the vocabulary file is empty; it needs one token per line."
        case let .missingSpecialToken(path, token):
            return "\(path): the vocabulary has no '\(token)' line, which a BERT tokenizer needs (with [UNK], [CLS], [SEP] and [PAD])."
        }
    }
}
