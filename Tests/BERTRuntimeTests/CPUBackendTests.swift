import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import BERTRuntime

@Suite("CPU backend operations")
struct CPUBackendTests {
    let backend: CPUBackend

    init() throws {
        backend = try CPUBackend()
    }

    @Test("matrix products honour both transpose flags and leading dimensions", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func transposes(transposeA: Bool, transposeB: Bool) throws {
        setThreadCount(1)
        let m = 3, n = 4, k = 5
        let a = (0..<(m * k)).map { Float($0) * 0.5 - 3 }       // logical [m, k]
        let b = (0..<(k * n)).map { Float($0 % 7) - 2 }         // logical [k, n]
        func stored(_ x: [Float], rows: Int, columns: Int, transposed: Bool) -> [Float] {
            transposed ? (0..<(rows * columns)).map { x[($0 % rows) * columns + $0 / rows] } : x
        }
        let aBuffer = try backend.makeBuffer(copying: stored(a, rows: m, columns: k, transposed: transposeA))
        let bBuffer = try backend.makeBuffer(copying: stored(b, rows: k, columns: n, transposed: transposeB))
        let c = try backend.makeBuffer(count: m * n)
        try backend.matrixMultiply(m: m, n: n, k: k, alpha: 1,
                                   MatrixOperand(aBuffer, leadingDimension: transposeA ? m : k, transposed: transposeA),
                                   MatrixOperand(bBuffer, leadingDimension: transposeB ? k : n, transposed: transposeB),
                                   beta: 0, into: MatrixOperand(c, leadingDimension: n), batchCount: 1)
        let expected = (0..<(m * n)).map { index in (0..<k).reduce(Float(0)) { $0 + a[(index / n) * k + $1] * b[$1 * n + index % n] } }
        #expect(try backend.read(c, offset: 0, count: m * n) == expected)
    }

    @Test("softmax ignores masked keys and makes a fully masked row uniform")
    func softmax() throws {
        let scores = try backend.makeBuffer(copying: [1, 2, 3, 50, 1, 2, 3, 50])
        let mask = try backend.makeBuffer(copying: [0, 0, 0, -Float.greatestFiniteMagnitude,
                                                    -Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude,
                                                    -Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude])
        try backend.maskedSoftmax(scores, batch: 2, heads: 1, queries: 1, keys: 4, additiveMask: mask)
        let values = try backend.read(scores, offset: 0, count: 8)
        let e = [1, 2, 3].map { Float(exp(Double($0 - 3))) }
        let total = e.reduce(0, +)
        for i in 0..<3 { #expect(abs(values[i] - e[i] / total) < 1e-6) }
        #expect(values[3] == 0)
        #expect(values[4...].allSatisfy { $0 == 0.25 })
    }

    @Test("GELU is the exact erf form")
    func gelu() throws {
        let inputs: [Float] = [-3, -1, -0.5, 0, 0.5, 1, 3]
        let buffer = try backend.makeBuffer(copying: inputs)
        try backend.activate(buffer, offset: 0, count: inputs.count, .gelu)
        let values = try backend.read(buffer, offset: 0, count: inputs.count)
        for (x, y) in zip(inputs, values) {
            let expected = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(y) - expected) < 1e-6)
        }
    }

    @Test("time-major and channel-major windows hold the same values")
    func unfold() throws {
        let time = 5, channels = 3, width = 2
        let x = try backend.makeBuffer(copying: (0..<(time * channels)).map(Float.init))
        let timeMajor = try backend.makeBuffer(count: 4 * 6), channelMajor = try backend.makeBuffer(count: 4 * 6)
        try backend.unfoldWindows(x, batch: 1, time: time, channels: channels, width: width, channelMajor: false, into: timeMajor)
        try backend.unfoldWindows(x, batch: 1, time: time, channels: channels, width: width, channelMajor: true, into: channelMajor)
        let a = try backend.read(timeMajor, offset: 0, count: 24), b = try backend.read(channelMajor, offset: 0, count: 24)
        #expect(Array(a[6..<12]) == [3, 4, 5, 6, 7, 8])
        #expect(Array(b[6..<12]) == [3, 6, 4, 7, 5, 8])
    }

    @Test("max pooling writes into its column block of the concatenated row")
    func maxPool() throws {
        let x = try backend.makeBuffer(copying: [1, -5, 3, -1, 2, -2])   // [batch 1, time 3, channels 2]
        let output = try backend.makeBuffer(copying: [9, 9, 9, 9])
        try backend.maxPoolOverTime(x, batch: 1, time: 3, channels: 2, into: output, outputOffset: 1, outputStride: 4)
        #expect(try backend.read(output, offset: 0, count: 4) == [9, 3, -1, 9])
    }
}

@Suite("Vectorised math")
struct VectorMathTests {
    @Test("exp and erf stay within float precision of glibc's scalar functions")
    func accuracy() {
        var worstExp: Float = 0, worstErf: Float = 0
        var x: Float = -20
        while x < 20 {
            let lane = SIMD8<Float>((0..<8).map { x + Float($0) * 0.000_61 })
            let e = VectorMath.exp(lane), f = VectorMath.erf(lane)
            for i in 0..<8 {
                worstExp = max(worstExp, abs(e[i] - expf(lane[i])) / expf(lane[i]))
                worstErf = max(worstErf, abs(f[i] - erff(lane[i])))
            }
            x += 0.005
        }
        #expect(worstExp < 3e-7)
        #expect(worstErf < 1e-6)
    }
}
