import FuzzDriver
import WordPiece

/// A vocabulary (lines before the first NUL byte) and a text (after it) through the WordPiece tokenizer, cased and
/// uncased, single and paired, with truncation and padding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = fuzzInput(pointer, count)
    guard let data = input.baseAddress else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let split = bytes.firstIndex(of: 0) ?? count
    let vocabularyText = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<split]), as: UTF8.self)
    let text = split < count ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self) : ""
    var tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += vocabularyText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let vocabulary = try? Vocabulary(tokens: tokens, source: "fuzz") else { return 0 }
    for lowerCase in [true, false] {
        let tokenizer = BERTTokenizer(vocabulary: vocabulary, lowerCase: lowerCase)
        let single = tokenizer.encode(text, maxLength: 16, padToMaxLength: true)
        precondition(single.inputIDs.count == single.attentionMask.count && single.inputIDs.allSatisfy { Int($0) < vocabulary.count })
        let half = text.count / 2
        let pair = tokenizer.encode(String(text.prefix(half)), pair: String(text.dropFirst(half)), maxLength: 12)
        precondition(pair.inputIDs.count == pair.tokenTypeIDs.count)
    }
    return 0
}

runFuzzer(fuzzOne)
