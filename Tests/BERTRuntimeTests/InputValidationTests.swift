import Testing
import BERTGraph
import BERTRuntime
import TensorFormats

@Suite("Input checks")
struct InputValidationTests {
    @Test("an id outside the vocabulary is rejected with its position")
    func idOutOfRange() throws {
        let (_, pass) = try cpuPass("tf-seqcls")
        #expect(throws: RuntimeError.tokenOutOfRange(sequence: 1, position: 2, id: 2000, vocabularySize: 2000)) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102], [101, 7, 2000]]))
        }
        #expect(throws: RuntimeError.tokenOutOfRange(sequence: 0, position: 0, id: -1, vocabularySize: 2000)) {
            try pass.run(EncoderInput(inputIDs: [[-1, 7, 102]]))
        }
    }

    @Test("an id outside a CNN model's Embedding is rejected")
    func cnnIdOutOfRange() throws {
        let (_, pass) = try cpuPass("keras-cnn-functional")
        #expect(throws: RuntimeError.tokenOutOfRange(sequence: 0, position: 4, id: 5000, vocabularySize: 2000)) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 8, 9, 5000, 102]]))
        }
        #expect(throws: RuntimeError.sequenceTooShort(length: 3, minimum: 4)) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102]]))
        }
    }

    @Test("a token type outside type_vocab_size is rejected")
    func tokenTypeOutOfRange() throws {
        let (_, pass) = try cpuPass("pt-seqcls")
        #expect(throws: RuntimeError.tokenTypeOutOfRange(sequence: 0, position: 1, tokenType: 2, typeVocabularySize: 2)) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102]], tokenTypeIDs: [[0, 2, 0]]))
        }
    }

    @Test("sequences longer than max_position_embeddings are rejected")
    func tooLong() throws {
        let (_, pass) = try cpuPass("pt-seqcls")
        #expect(throws: RuntimeError.sequenceTooLong(length: 65, maximum: 64)) {
            try pass.run(EncoderInput(inputIDs: [Array(repeating: 7, count: 65)]))
        }
    }

    @Test("ragged, empty and badly masked batches are rejected")
    func malformedBatches() throws {
        let (_, pass) = try cpuPass("pt-seqcls")
        #expect(throws: RuntimeError.invalidInput(reason: "the batch holds no sequence")) { try pass.run(EncoderInput(inputIDs: [])) }
        #expect(throws: RuntimeError.invalidInput(reason: "sequence 1 has 2 tokens, sequence 0 has 3; pad them to one length")) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102], [101, 102]]))
        }
        #expect(throws: RuntimeError.invalidInput(reason: "attention_mask[0][1] is 2, expected 0 or 1")) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102]], attentionMask: [[1, 2, 1]]))
        }
        #expect(throws: RuntimeError.invalidInput(reason: "masked-LM positions were given but BertForSequenceClassification has no masked-LM head")) {
            try pass.run(EncoderInput(inputIDs: [[101, 7, 102]], maskedLMPositions: [TokenPosition(sequence: 0, position: 1)]))
        }
    }

    @Test("the error text is a sentence naming the position")
    func message() {
        let error = RuntimeError.tokenOutOfRange(sequence: 1, position: 2, id: 2000, vocabularySize: 2000)
        #expect(error.description == "Sequence 1, position 2: token id 2000 is outside the vocabulary (0..<2000).")
    }
}
