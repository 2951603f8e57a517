extension ForwardPass {
    /// The additive attention mask transformers builds: 0 where attention_mask is 1, float32's lowest where it is 0
    /// (`torch.finfo(dtype).min`, modeling_bert.py's `get_extended_attention_mask`).
    static func additiveMask(_ mask: [[Int32]]) -> [Float] {
        mask.flatMap { row in row.map { $0 == 0 ? -Float.greatestFiniteMagnitude : 0 } }
    }

    /// The BERT main layer: embeddings, then every encoder layer. Returns the last hidden state `[batch·length, hidden]`.
    func encode(_ input: EncoderInput) throws -> Backend.Buffer {
        let batch = input.batchSize, length = input.sequenceLength
        let hidden = configuration.hiddenSize, rows = batch * length
        let epsilon = Float(configuration.layerNormEps)

        // BertEmbeddings: word + position + token type, then LayerNorm (dropout is the identity).
        var x = try backend.makeBuffer(count: rows * hidden)
        try backend.gatherRows(try weight("bert.embeddings.word_embeddings.weight").buffer, width: hidden,
                               rows: input.inputIDs.flatMap { $0 }, into: x, accumulate: false)
        let positions = (0..<batch).flatMap { _ in (0..<length).map(Int32.init) }
        try backend.gatherRows(try weight("bert.embeddings.position_embeddings.weight").buffer, width: hidden,
                               rows: positions, into: x, accumulate: true)
        try backend.gatherRows(try weight("bert.embeddings.token_type_embeddings.weight").buffer, width: hidden,
                               rows: input.tokenTypeIDs.flatMap { $0 }, into: x, accumulate: true)
        try layerNorm(x, residual: nil, rows: rows, prefix: "bert.embeddings.LayerNorm", epsilon: epsilon, into: x)

        // One additive mask per sequence: attention runs a sequence at a time.
        let masks = try input.attentionMask.map { try backend.makeBuffer(copying: Self.additiveMask([$0])) }
        let workspace = try LayerWorkspace(backend: backend, batch: batch, length: length, hidden: hidden,
                                           intermediate: configuration.intermediateSize, heads: configuration.numAttentionHeads)
        for layer in 0..<configuration.numHiddenLayers {
            x = try encoderLayer(layer, x, masks: masks, batch: batch, length: length, workspace: workspace, epsilon: epsilon)
        }
        return x
    }

    /// Activations of one encoder layer, reused by every layer of a pass. Three `[rows, hidden]` buffers take turns
    /// (queries, then the attention context; keys, then the attention output and the feed-forward output; values,
    /// then the normalised attention output), the scores hold one sequence's heads, and the feed-forward
    /// intermediate holds `feedForwardRows` rows: at batch 32 × 512 in bert-base that is 160 MB instead of the
    /// 950 MB of one buffer per activation.
    struct LayerWorkspace {
        var first, second, third, scores, intermediate: Backend.Buffer
        let feedForwardRows: Int

        /// Rows of the feed-forward intermediate computed at once.
        static var feedForwardChunk: Int { 2048 }

        init(backend: Backend, batch: Int, length: Int, hidden: Int, intermediate size: Int, heads: Int) throws {
            let rows = batch * length
            first = try backend.makeBuffer(count: rows * hidden)
            second = try backend.makeBuffer(count: rows * hidden)
            third = try backend.makeBuffer(count: rows * hidden)
            scores = try backend.makeBuffer(count: heads * length * length)
            feedForwardRows = min(rows, Self.feedForwardChunk)
            intermediate = try backend.makeBuffer(count: feedForwardRows * size)
        }
    }

    /// `BertLayer`: self-attention, add & LayerNorm, feed-forward, add & LayerNorm. Returns the layer's output buffer.
    func encoderLayer(_ layer: Int, _ x: Backend.Buffer, masks: [Backend.Buffer], batch: Int, length: Int,
                      workspace w: LayerWorkspace, epsilon: Float) throws -> Backend.Buffer {
        let hidden = configuration.hiddenSize, rows = batch * length
        let heads = configuration.numAttentionHeads, headSize = hidden / heads
        let prefix = "bert.encoder.layer.\(layer)."
        let input = MatrixOperand(x, leadingDimension: hidden)
        let query = w.first, key = w.second, value = w.third
        try linear(input, rows: rows, layer: prefix + "attention.self.query", into: query)
        try linear(input, rows: rows, layer: prefix + "attention.self.key", into: key)
        try linear(input, rows: rows, layer: prefix + "attention.self.value", into: value)

        // Scaled dot product, a sequence at a time, batched over heads: head h of sequence b is the column block
        // h·headSize of rows b·length..<(b+1)·length. The context overwrites the sequence's queries, which its
        // scores no longer need.
        let scale = 1 / Float(headSize).squareRoot()
        let context = query
        for b in 0..<batch {
            let rowsOffset = b * length * hidden
            try backend.matrixMultiply(
                m: length, n: length, k: headSize, alpha: scale,
                MatrixOperand(query, offset: rowsOffset, leadingDimension: hidden, batchStride: headSize),
                MatrixOperand(key, offset: rowsOffset, leadingDimension: hidden, transposed: true, batchStride: headSize),
                beta: 0,
                into: MatrixOperand(w.scores, leadingDimension: length, batchStride: length * length),
                batchCount: heads)
            try backend.maskedSoftmax(w.scores, batch: 1, heads: heads, queries: length, keys: length, additiveMask: masks[b])
            try backend.matrixMultiply(
                m: length, n: headSize, k: length, alpha: 1,
                MatrixOperand(w.scores, leadingDimension: length, batchStride: length * length),
                MatrixOperand(value, offset: rowsOffset, leadingDimension: hidden, batchStride: headSize),
                beta: 0,
                into: MatrixOperand(context, offset: rowsOffset, leadingDimension: hidden, batchStride: headSize),
                batchCount: heads)
        }
        let attention = key
        try linear(MatrixOperand(context, leadingDimension: hidden), rows: rows, layer: prefix + "attention.output.dense",
                   into: attention)
        let attentionOutput = value
        try layerNorm(attention, residual: x, rows: rows, prefix: prefix + "attention.output.LayerNorm", epsilon: epsilon,
                      into: attentionOutput)

        // The feed-forward block, `feedForwardRows` rows at a time through the intermediate.
        let intermediate = configuration.intermediateSize
        let output = key
        var start = 0
        while start < rows {
            let count = min(w.feedForwardRows, rows - start)
            try linear(MatrixOperand(attentionOutput, offset: start * hidden, leadingDimension: hidden), rows: count,
                       layer: prefix + "intermediate.dense", into: w.intermediate)
            try backend.activate(w.intermediate, offset: 0, count: count * intermediate, activation)
            try linear(MatrixOperand(w.intermediate, leadingDimension: intermediate), rows: count, layer: prefix + "output.dense",
                       into: output, outputOffset: start * hidden)
            start += count
        }
        // The layer input is no longer needed: its buffer takes the layer's output.
        try layerNorm(output, residual: attentionOutput, rows: rows, prefix: prefix + "output.LayerNorm", epsilon: epsilon,
                      into: x)
        return x
    }

    /// LayerNorm with the parameters under `prefix`.
    func layerNorm(_ x: Backend.Buffer, residual: Backend.Buffer?, rows: Int, prefix: String, epsilon: Float,
                   into output: Backend.Buffer) throws {
        try backend.layerNorm(x, residual: residual, rows: rows, columns: configuration.hiddenSize,
                              gamma: try weight(prefix + ".weight").buffer, beta: try weight(prefix + ".bias").buffer,
                              epsilon: epsilon, into: output)
    }

    /// `BertPooler`: `tanh(dense(h[:, 0]))`, reading each sequence's first row in place (row stride length·hidden).
    func pool(_ hidden: Backend.Buffer, batch: Int, length: Int) throws -> Backend.Buffer {
        let width = configuration.hiddenSize
        let pooled = try backend.makeBuffer(count: batch * width)
        try linear(MatrixOperand(hidden, leadingDimension: length * width), rows: batch, layer: "bert.pooler.dense", into: pooled)
        try backend.activate(pooled, offset: 0, count: batch * width, .tanh)
        return pooled
    }

    /// `BertLMPredictionHead` at the requested positions: dense → hidden_act → LayerNorm → the word embeddings
    /// (tied decoder) plus `cls.predictions.bias`.
    func predictMasked(_ hidden: Backend.Buffer, length: Int, positions: [TokenPosition]) throws -> FloatTensor {
        let width = configuration.hiddenSize, count = positions.count, vocabulary = configuration.vocabSize
        let selected = try backend.makeBuffer(count: count * width)
        try backend.gatherRows(hidden, width: width, rows: positions.map { Int32($0.sequence * length + $0.position) },
                               into: selected, accumulate: false)
        let transformed = try backend.makeBuffer(count: count * width)
        try linear(MatrixOperand(selected, leadingDimension: width), rows: count, layer: "cls.predictions.transform.dense",
                   into: transformed)
        try backend.activate(transformed, offset: 0, count: count * width, activation)
        try layerNorm(transformed, residual: nil, rows: count, prefix: "cls.predictions.transform.LayerNorm",
                      epsilon: Float(configuration.layerNormEps), into: transformed)
        let logits = try backend.makeBuffer(count: count * vocabulary)
        let embeddings = try weight("bert.embeddings.word_embeddings.weight")
        try backend.matrixMultiply(m: count, n: vocabulary, k: width, alpha: 1,
                                   MatrixOperand(transformed, leadingDimension: width),
                                   MatrixOperand(embeddings.buffer, leadingDimension: width, transposed: true), beta: 0,
                                   into: MatrixOperand(logits, leadingDimension: vocabulary), batchCount: 1)
        try backend.addBias(logits, offset: 0, rows: count, columns: vocabulary, bias: try weight("cls.predictions.bias").buffer)
        return FloatTensor(shape: [count, vocabulary], values: try backend.read(logits, offset: 0, count: count * vocabulary))
    }
}
