import Testing
import FixtureSupport
@testable import TensorFormats

/// Builds a safetensors file image: 8-byte little-endian header length, header, data.
func safetensorsImage(header: String, data: [UInt8] = [], claimedLength: UInt64? = nil) -> [UInt8] {
    let body = Array(header.utf8)
    let length = claimedLength ?? UInt64(body.count)
    return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + body + data
}

@Suite("safetensors reader")
struct SafetensorsTests {
    @Test("reads a file transformers wrote, header only")
    func readsTransformersFile() throws {
        let file = try SafetensorsFile(path: Fixtures.path("pt-seqcls/model.safetensors"))
        let reference = try Fixtures.reference("pt-seqcls")
        #expect(file.tensors.count == reference["stored_tensors"]?.intValue)
        #expect(file.metadata["format"] == "pt")
        let word = try #require(file.tensor(named: "bert.embeddings.word_embeddings.weight"))
        #expect(word.dtype == .f32)
        #expect(word.shape == [reference["config"]!["vocab_size"]!.intValue!, reference["config"]!["hidden_size"]!.intValue!])
    }

    static let cases: [(String, [UInt8], TensorFormatError)] = [
        ("too short", [1, 0, 0], .fileTooShort(path: "t", size: 3)),
        ("header over the limit", safetensorsImage(header: "{}", claimedLength: 100_000_001), .headerTooLarge(path: "t", length: 100_000_001)),
        ("header beyond the file", safetensorsImage(header: "{}", claimedLength: 64), .headerBeyondFile(path: "t", length: 64, fileSize: 10)),
        ("not an object", safetensorsImage(header: "[]"), .headerNotObject(path: "t")),
        ("duplicate key", safetensorsImage(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         .duplicateKey(path: "t", key: "a")),
        ("metadata not strings", safetensors(#""__metadata__":{"format":1}"#), .invalidMetadata(path: "t", reason: "the value of 'format' is not a string")),
        ("unknown dtype", safetensors(#""a":{"dtype":"Q8","shape":[1],"data_offsets":[0,4]}"#), .unknownDType(path: "t", tensor: "a", dtype: "Q8")),
        ("negative dimension", safetensors(#""a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), .invalidShape(path: "t", tensor: "a")),
        ("overflowing shape", safetensors(#""a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}"#), .invalidShape(path: "t", tensor: "a")),
        ("offsets reversed", safetensors(#""a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#), .invalidOffsets(path: "t", tensor: "a", begin: 4, end: 0)),
        ("gap before the first", safetensors(#""a":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}"#, data: 6), .offsetGap(path: "t", tensor: "a", expected: 0, actual: 2)),
        ("size mismatch", safetensors(#""a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#), .sizeMismatch(path: "t", tensor: "a", expected: 8, actual: 4)),
        ("trailing bytes", safetensors(#""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, data: 6), .dataLengthMismatch(path: "t", expected: 4, actual: 6)),
    ]

    /// A one-entry header with `data` zero bytes after it.
    static func safetensors(_ members: String, data: Int = 4) -> [UInt8] {
        safetensorsImage(header: "{" + members + "}", data: [UInt8](repeating: 0, count: data))
    }

    @Test("each rule of the format is its own error", arguments: cases)
    func rule(name: String, bytes: [UInt8], expected: TensorFormatError) {
        bytes.withUnsafeBytes { buffer in
            _ = #expect(throws: expected, "\(name)") { try SafetensorsFile.parseHeader(buffer, path: "t") }
        }
    }

    @Test("accepts an empty tensor, trailing header spaces and every dtype of the spec")
    func accepts() throws {
        var offset = 0
        var parts: [String] = [#""empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}"#]
        for dtype in DType.allCases {
            parts.append(#""\#(dtype.rawValue)":{"dtype":"\#(dtype.rawValue)","shape":[2],"data_offsets":[\#(offset),\#(offset + 2 * dtype.size)]}"#)
            offset += 2 * dtype.size
        }
        let image = safetensorsImage(header: "{" + parts.joined(separator: ",") + "}    ", data: [UInt8](repeating: 0, count: offset))
        let header = try image.withUnsafeBytes { try SafetensorsFile.parseHeader($0, path: "t") }
        #expect(header.tensors.count == DType.allCases.count + 1)
        #expect(header.tensors.first { $0.name == "BF16" }?.byteCount == 4)
    }

    @Test("16-bit floats widen exactly")
    func widening() {
        let half: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x7C, 0x01, 0x00]  // 1, -2, +inf, smallest subnormal
        let values = half.withUnsafeBytes { decodeFloats($0, dtype: .f16) }
        #expect(values == [1, -2, .infinity, Float(sign: .plus, exponent: -24, significand: 1)])
        let brain: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]  // 1, -3
        #expect(brain.withUnsafeBytes { decodeFloats($0, dtype: .bf16) } == [1, -3])
    }
}

@Suite("Shard index")
struct ShardIndexTests {
    @Test("refuses shard names that leave the folder", arguments: ["../x.safetensors", "/etc/passwd", "..", "a/b.safetensors", "", "a\\b"])
    func unsafeNames(name: String) {
        #expect(throws: TensorFormatError.unsafeShardName(path: "index.json", shard: name)) {
            try ShardIndex.checkShardName(name, indexPath: "index.json")
        }
    }

    @Test("reads the index transformers wrote")
    func readsIndex() throws {
        let index = try ShardIndex(path: Fixtures.path("pt-sharded/model.safetensors.index.json"))
        let shardFiles = FilePath.contents(of: Fixtures.path("pt-sharded")).filter { $0.hasSuffix(".safetensors") }
        #expect(index.shards.sorted() == shardFiles)
        let store = try Checkpoint.openStore(index.path, formats: [SafetensorsFormat()])
        #expect(store.tensors.count == index.weightMap.count)
    }
}
