/// A position in a batch: which sequence, which token.
public struct TokenPosition: Sendable, Hashable {
    /// Index of the sequence in the batch.
    public var sequence: Int
    /// Index of the token in the sequence.
    public var position: Int

    /// Token `position` of sequence `sequence`.
    public init(sequence: Int, position: Int) {
        self.sequence = sequence
        self.position = position
    }
}

/// A batch of token sequences of one length, as transformers' `BertModel.forward` takes them.
public struct EncoderInput: Sendable, Equatable {
    /// `[batch][sequence]` token ids.
    public var inputIDs: [[Int32]]
    /// `[batch][sequence]`, 1 for tokens to attend to and 0 for padding.
    public var attentionMask: [[Int32]]
    /// `[batch][sequence]` segment ids (0 for the first text, 1 for the second).
    public var tokenTypeIDs: [[Int32]]
    /// Positions whose masked-LM prediction logits to compute (pre-training and masked-LM models only).
    public var maskedLMPositions: [TokenPosition]

    /// A batch; a missing mask means "attend to every token" and missing token types mean all zeros.
    public init(inputIDs: [[Int32]], attentionMask: [[Int32]]? = nil, tokenTypeIDs: [[Int32]]? = nil,
                maskedLMPositions: [TokenPosition] = []) {
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask ?? inputIDs.map { Array(repeating: 1, count: $0.count) }
        self.tokenTypeIDs = tokenTypeIDs ?? inputIDs.map { Array(repeating: 0, count: $0.count) }
        self.maskedLMPositions = maskedLMPositions
    }

    /// Number of sequences.
    public var batchSize: Int { inputIDs.count }

    /// Length of every sequence (0 for an empty batch).
    public var sequenceLength: Int { inputIDs.first?.count ?? 0 }

    /// Checks that the batch is rectangular and its mask, token types and masked-LM positions fit it.
    public func validateShape() throws(RuntimeError) {
        guard !inputIDs.isEmpty else { throw .invalidInput(reason: "the batch holds no sequence") }
        let length = sequenceLength
        guard length > 0 else { throw .invalidInput(reason: "the sequences are empty") }
        for (index, ids) in inputIDs.enumerated() where ids.count != length {
            throw .invalidInput(reason: "sequence \(index) has \(ids.count) tokens, sequence 0 has \(length); pad them to one length")
        }
        for (name, rows) in [("attention_mask", attentionMask), ("token_type_ids", tokenTypeIDs)] {
            guard rows.count == inputIDs.count else {
                throw .invalidInput(reason: "\(name) has \(rows.count) rows for \(inputIDs.count) sequences")
            }
            for (index, row) in rows.enumerated() where row.count != length {
                throw .invalidInput(reason: "\(name) row \(index) has \(row.count) values for \(length) tokens")
            }
        }
        for (index, row) in attentionMask.enumerated() {
            if let position = row.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw .invalidInput(reason: "attention_mask[\(index)][\(position)] is \(row[position]), expected 0 or 1")
            }
        }
        for entry in maskedLMPositions {
            guard (0..<inputIDs.count).contains(entry.sequence) else {
                throw .invalidInput(reason: "masked-LM position names sequence \(entry.sequence) of a batch of \(inputIDs.count)")
            }
            guard (0..<length).contains(entry.position) else {
                throw .positionOutOfRange(sequence: entry.sequence, position: entry.position, length: length)
            }
        }
    }
}

/// How sequences of different lengths are grouped into batches. Every batch is padded to its longest sequence, so
/// the positions computed are Σ batch rows × batch length; grouping by length keeps that close to the real tokens.
public enum BatchPlan {
    /// The indices `0..<count` in batches of at most `batchSize`, in order: what a script feeding its file does.
    public static func inOrder(count: Int, batchSize: Int) -> [[Int]] {
        let size = max(1, batchSize)
        return stride(from: 0, to: count, by: size).map { Array($0..<min($0 + size, count)) }
    }

    /// The indices of `lengths` in batches of at most `batchSize`, longest first (the largest batch is met first, so
    /// a memory limit shows at once), sequences of equal length in input order. A batch also closes early when the
    /// next sequence is shorter than `tolerance` × the batch's length and the batch already holds `minimumRows`
    /// positions (enough for the matrix products to run at speed), so padding stays near `1 − tolerance`.
    public static func byLength(_ lengths: [Int], batchSize: Int, minimumRows: Int = 1024, tolerance: Double = 0.9) -> [[Int]] {
        let size = max(1, batchSize)
        let sorted = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var batches: [[Int]] = []
        var current: [Int] = []
        for index in sorted {
            if let first = current.first {
                let longest = lengths[first]
                let wasteful = Double(lengths[index]) < tolerance * Double(longest) && current.count * longest >= minimumRows
                if current.count >= size || wasteful {
                    batches.append(current)
                    current = []
                }
            }
            current.append(index)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// The positions a plan computes when each batch is padded to its longest (`minimum` for fixed-length models).
    public static func computedPositions(_ plan: [[Int]], lengths: [Int], minimum: Int = 0) -> Int {
        plan.reduce(0) { total, batch in total + batch.count * max(minimum, batch.map { lengths[$0] }.max() ?? 0) }
    }
}
