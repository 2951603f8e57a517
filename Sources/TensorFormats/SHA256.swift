internal import CSupport

/// SHA-256 (FIPS 180-4), streaming, for the provenance that converted files record about their source.
///
/// The compression function is C (`CSupport`), on the x86 SHA extensions where the CPU has them, so hashing a
/// 440 MB checkpoint costs about as much as reading it.
public struct SHA256: Sendable {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0
    private let portable: Bool

    /// A fresh hash; `portable` forces the compression function without CPU extensions (for tests).
    public init(portable: Bool = false) {
        self.portable = portable
    }

    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        let portable = self.portable
        state.withUnsafeMutableBufferPointer { s in
            if portable { bertinspect_sha256_blocks_portable(s.baseAddress, bytes, blocks) }
            else { bertinspect_sha256_blocks(s.baseAddress, bytes, blocks) }
        }
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        length += UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            offset = take
            if pending.count == 64 {
                let block = pending
                block.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let blocks = (bytes.count - offset) / 64
        if blocks > 0 {
            compress(bytes.baseAddress! + offset, blocks: blocks)
            offset += blocks * 64
        }
        if offset < bytes.count { pending += bytes[offset...] }
    }

    /// The digest as 64 lower-case hex digits.
    public mutating func finalize() -> String {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8((bitLength >> (UInt64(i) * 8)) & 0xFF)) }
        tail.withUnsafeBytes { update($0) }
        return state.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}
