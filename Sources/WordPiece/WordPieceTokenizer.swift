/// transformers' `WordpieceTokenizer` (`models/bert/tokenization_bert.py`, 4.57): greedy longest-match-first
/// sub-words, `##` marking a continuation.
struct WordPieceTokenizer: Sendable {
    /// `max_input_chars_per_word`: longer words (counted in code points, as Python's `len`) become `[UNK]`.
    static let maximumWordLength = 100

    let vocabulary: Vocabulary

    /// Appends the ids of `word`'s pieces, or the one `[UNK]` id when some part of it matches no token.
    ///
    /// `word` comes from ``BasicTokenizer`` and holds no whitespace, so transformers' own whitespace split of its
    /// input has nothing to do here.
    func appendIDs(of word: [Unicode.Scalar], to ids: inout [Int]) {
        guard word.count <= Self.maximumWordLength else {
            ids.append(vocabulary.unknownID)
            return
        }
        var pieces: [Int] = []
        var candidate: [Unicode.Scalar] = []
        var start = 0
        while start < word.count {
            // transformers starts at the end of the word; candidates longer than any token cannot match anyway.
            var end = min(word.count, start + vocabulary.longestTokenLength)
            var match: Int?
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: ["#", "#"]) }
                candidate.append(contentsOf: word[start..<end])
                if let id = vocabulary.id(for: candidate) {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                ids.append(vocabulary.unknownID)
                return
            }
            pieces.append(match)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}
