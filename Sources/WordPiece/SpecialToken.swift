/// The special tokens of a BERT vocabulary, with the text transformers' `BertTokenizer` gives them.
public enum SpecialToken: String, Sendable, CaseIterable {
    /// `[PAD]`, which fills a sequence up to its maximum length.
    case padding = "[PAD]"
    /// `[UNK]`, which stands for a word the vocabulary cannot spell.
    case unknown = "[UNK]"
    /// `[CLS]`, which opens every encoded sequence.
    case classifier = "[CLS]"
    /// `[SEP]`, which closes each segment of an encoded sequence.
    case separator = "[SEP]"
    /// `[MASK]`, the masked-language-model token; optional in a vocabulary.
    case mask = "[MASK]"

    /// The token's text as code points.
    var scalars: [Unicode.Scalar] { Array(rawValue.unicodeScalars) }
}
