import Testing
@testable import TensorFormats

@Suite("Element and layout conversion")
struct TensorTransformTests {
    static let halves: [(Float, UInt16)] = [
        (Float(1), UInt16(0x3C00)), (65504, 0x7BFF), (65520, 0x7C00), (-0.0, 0x8000), (Float.infinity, 0x7C00),
        (Float(sign: .plus, exponent: -24, significand: 1), 0x0001), (1 + Float(sign: .plus, exponent: -11, significand: 1), 0x3C00),
        (1 + 3 * Float(sign: .plus, exponent: -11, significand: 1), 0x3C02),
    ]

    @Test("float → half rounds to nearest even and keeps NaN and Inf", arguments: halves)
    func half(value: Float, bits: UInt16) {
        #expect(floatToHalf(value) == bits)
    }

    @Test("NaN stays NaN in both 16-bit formats")
    func nan() {
        #expect(halfToFloat(floatToHalf(.nan)).isNaN)
        let brain = floatToBFloat16(.nan)
        #expect(Float(bitPattern: UInt32(brain) << 16).isNaN)
        #expect(floatToBFloat16(1 + Float(sign: .plus, exponent: -8, significand: 1)) == 0x3F80)  // tie → even
    }

    @Test("overflows to infinity are counted")
    func overflowCount() {
        let values: [Float] = [1, 70000, -1e9, .infinity]
        var output = [UInt8](repeating: 0, count: 8)
        let overflows = values.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { transformTensor(source, from: .f32, shape: [4], layout: .none, to: .f16, into: $0) }
        }
        #expect(overflows == 2)
    }

    @Test("transposes and permutes move elements, not values")
    func permutation() {
        let matrix: [Float] = [1, 2, 3, 4, 5, 6]  // 2 × 3
        var out = [Float](repeating: 0, count: 6)
        matrix.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { _ = transformTensor(source, from: .f32, shape: [2, 3], layout: .permute([1, 0]), to: .f32, into: $0) }
        }
        #expect(out == [1, 4, 2, 5, 3, 6])
        let cube: [Float] = (0..<24).map(Float.init)  // [2, 3, 4] → [4, 3, 2]
        var permuted = [Float](repeating: 0, count: 24)
        cube.withUnsafeBytes { source in
            permuted.withUnsafeMutableBytes { _ = transformTensor(source, from: .f32, shape: [2, 3, 4], layout: .permute([2, 1, 0]), to: .f32, into: $0) }
        }
        // out[k][j][i] = in[i][j][k], element by element: in[i][j][k] holds 12i + 4j + k.
        for k in 0..<4 {
            for j in 0..<3 {
                for i in 0..<2 { #expect(permuted[k * 6 + j * 2 + i] == Float(12 * i + 4 * j + k), "out[\(k)][\(j)][\(i)]") }
            }
        }
    }

    @Test("SHA-256 matches the FIPS 180-4 examples, with and without the CPU's SHA extensions", arguments: [false, true])
    func sha256(portable: Bool) {
        var million = SHA256(portable: portable)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { chunk.withUnsafeBytes { million.update($0) } }
        #expect(million.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var empty = SHA256(portable: portable)
        #expect(empty.finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256(portable: portable)
        Array("abc".utf8).withUnsafeBytes { abc.update($0) }
        #expect(abc.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256(portable: portable)
        let text = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        text.prefix(10).withUnsafeBytes { long.update($0) }
        text.dropFirst(10).withUnsafeBytes { long.update($0) }
        #expect(long.finalize() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
