extension ForwardPass {
    /// The notebook's CNN head on `x` `[batch, time, channels]`: each Conv1D ('valid', ReLU) as one matrix product over
    /// unfolded windows, global max pool over time, concatenation in layer order, Dense ReLU, Dense sigmoid (one unit)
    /// or softmax (more).
    func runCNN(_ head: CNNHead, _ x: Backend.Buffer, batch: Int, time: Int, channels: Int) throws -> FloatTensor {
        let concatenatedWidth = head.concatenatedWidth
        let pooled = try backend.makeBuffer(count: batch * concatenatedWidth)
        var column = 0
        for convolution in head.convolutions {
            let kernel = try weight(convolution.name + ".weight")
            let windows = time - convolution.width + 1
            let depth = convolution.width * channels
            let unfolded = try backend.makeBuffer(count: batch * windows * depth)
            // A Keras kernel [width, in, out] is a [width·in, out] matrix over time-major windows; a PyTorch weight
            // [out, in, width] is an [out, in·width] matrix over channel-major windows, read transposed.
            try backend.unfoldWindows(x, batch: batch, time: time, channels: channels, width: convolution.width,
                                      channelMajor: !kernel.isTransposed, into: unfolded)
            let features = try backend.makeBuffer(count: batch * windows * convolution.filters)
            try backend.matrixMultiply(
                m: batch * windows, n: convolution.filters, k: depth, alpha: 1,
                MatrixOperand(unfolded, leadingDimension: depth),
                MatrixOperand(kernel.buffer, leadingDimension: kernel.isTransposed ? convolution.filters : depth,
                              transposed: !kernel.isTransposed),
                beta: 0, into: MatrixOperand(features, leadingDimension: convolution.filters), batchCount: 1)
            if let bias = weights[convolution.name + ".bias"] {
                try backend.addBias(features, offset: 0, rows: batch * windows, columns: convolution.filters, bias: bias.buffer)
            }
            try backend.activate(features, offset: 0, count: batch * windows * convolution.filters, .relu)
            try backend.maxPoolOverTime(features, batch: batch, time: windows, channels: convolution.filters, into: pooled,
                                        outputOffset: column, outputStride: concatenatedWidth)
            column += convolution.filters
        }
        let hidden = try backend.makeBuffer(count: batch * head.hidden.outputs)
        try linear(MatrixOperand(pooled, leadingDimension: concatenatedWidth), rows: batch, layer: head.hidden.name, into: hidden)
        try backend.activate(hidden, offset: 0, count: batch * head.hidden.outputs, .relu)
        let output = try backend.makeBuffer(count: batch * head.output.outputs)
        try linear(MatrixOperand(hidden, leadingDimension: head.hidden.outputs), rows: batch, layer: head.output.name, into: output)
        let classes = head.output.outputs
        guard head.softmaxOutput else {
            try backend.activate(output, offset: 0, count: batch, .sigmoid)
            return FloatTensor(shape: [batch, 1], values: try backend.read(output, offset: 0, count: batch))
        }
        // A softmax over a handful of classes per sequence: done on the host, on the values read back anyway.
        let logits = try backend.read(output, offset: 0, count: batch * classes)
        var probabilities: [Float] = []
        probabilities.reserveCapacity(logits.count)
        for row in 0..<batch { probabilities += ModelOutputs.softmax(Array(logits[(row * classes)..<((row + 1) * classes)])) }
        return FloatTensor(shape: [batch, classes], values: probabilities)
    }
}
