/// transformers' `truncate_sequences` with `truncation_strategy="longest_first"` and `truncation_side="right"`
/// (`tokenization_utils_base.py`, 4.57): how many tokens to drop from the end of each segment.
struct Truncation: Equatable {
    /// Tokens to drop from the end of the first segment.
    var first: Int
    /// Tokens to drop from the end of the second segment.
    var second: Int

    /// The plan for removing `excess` tokens from segments of `firstCount` and `secondCount` tokens.
    ///
    /// A single segment (`secondCount == nil`) loses `excess` tokens only if it has more than that; otherwise it is
    /// kept whole (transformers logs an error and returns it untruncated). A pair first loses tokens from the longer
    /// segment until both are equally long, then from both, the second segment taking the odd one; a segment never
    /// loses more than it has, so both may end up empty.
    init(excess: Int, firstCount: Int, secondCount: Int?) {
        guard excess > 0 else {
            self.init(first: 0, second: 0)
            return
        }
        guard let secondCount else {
            self.init(first: firstCount > excess ? excess : 0, second: 0)
            return
        }
        let unequal = min(abs(secondCount - firstCount), excess)
        let shared = excess - unequal
        if firstCount > secondCount {
            self.init(first: min(firstCount, unequal + shared / 2), second: min(secondCount, shared - shared / 2))
        } else {
            self.init(first: min(firstCount, shared / 2), second: min(secondCount, unequal + shared - shared / 2))
        }
    }

    private init(first: Int, second: Int) {
        self.first = first
        self.second = second
    }
}
