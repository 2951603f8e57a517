/// Vectorised elementwise math for the CPU backend, eight floats at a time.
///
/// The CPU spends most of a forward pass in `cblas_sgemm`; what is left is dominated by `erf` in GELU and `exp` in
/// softmax, which glibc computes one value at a time. These versions run on SIMD registers with errors near float
/// precision (tested against the scalar functions).
enum VectorMath {
    /// `exp(x)` by range reduction to `n·ln 2 + r` and Cephes' degree-6 polynomial for `exp(r)` (relative error
    /// about 1e-7); inputs below the normal range give 0.
    @inline(__always)
    static func exp(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var x = value
        x.replace(with: -87.33, where: x .< -87.33)
        x.replace(with: 88.37, where: x .> 88.37)
        // n = round(x / ln 2) with the 1.5·2^23 trick: adding it rounds to an integer held in the low mantissa bits,
        // read back as Int32 without a (slow, generic) float-to-int conversion.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        x = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * x + 1.398_199_95e-3
        p = p * x + 8.333_451_9e-3
        p = p * x + 4.166_579_59e-2
        p = p * x + 1.666_666_55e-1
        p = p * x + 5.000_000_12e-1
        let result = p * x * x + x + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let exponent = (integer &+ 127) &<< 23
        // Below the normal range the result underflows to zero, as glibc's expf does (masked attention scores).
        return (result * unsafeBitCast(exponent, to: SIMD8<Float>.self)).replacing(with: 0, where: value .< -87.33)
    }

    /// `erf(x)` as the rational approximation Eigen (and so TensorFlow) uses: odd degree-13 numerator over even
    /// degree-8 denominator on [-4, 4] (absolute error about 4e-7).
    @inline(__always)
    static func erf(_ value: SIMD8<Float>) -> SIMD8<Float> {
        var x = value
        x.replace(with: -4, where: x .< -4)
        x.replace(with: 4, where: x .> 4)
        let x2 = x * x
        var p = SIMD8<Float>(repeating: -2.726_142_258_013_06e-10)
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        p = p * x
        var q = SIMD8<Float>(repeating: -1.456_607_184_649_96e-05)
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return p / q
    }

    /// Exact-erf GELU, `0.5·x·(1 + erf(x/√2))`, in place over `count` values.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeMutableRawPointer(values)
        while i + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: 0.5 * x * (1 + erf(x * 0.707_106_78)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = values[i]
            values[i] = (0.5 * lane * (1 + erf(lane * 0.707_106_78)))[0]
            i += 1
        }
    }

    /// Tanh-approximate GELU, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, in place over `count` values; tanh(y) is
    /// computed as `1 − 2 / (exp(2y) + 1)`.
    static func geluTanh(_ values: UnsafeMutablePointer<Float>, count: Int) {
        @inline(__always) func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
            let y = 0.797_884_56 * (x + 0.044_715 * x * x * x)
            let tanh = 1 - 2 / (exp(2 * y) + 1)
            return 0.5 * x * (1 + tanh)
        }
        var i = 0
        let raw = UnsafeMutableRawPointer(values)
        while i + 8 <= count {
            raw.storeBytes(of: apply(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = values[i]
            values[i] = apply(lane)[0]
            i += 1
        }
    }

    /// `exp(x − shift)` in place over `count` values; returns their sum.
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var i = 0
        var sums = SIMD8<Float>(repeating: 0)
        let raw = UnsafeMutableRawPointer(values)
        while i + 8 <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - shift)
            raw.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
            sums += e
            i += 8
        }
        var sum = sums.sum()
        while i < count {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = values[i] - shift
            values[i] = exp(lane)[0]
            sum += values[i]
            i += 1
        }
        return sum
    }
}
