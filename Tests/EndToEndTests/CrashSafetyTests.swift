import Foundation
import Testing
import TensorFormats

/// Writes a BertModel-shaped safetensors file (PyTorch names, random values) of about `megabytes` MB.
func writeLargeCheckpoint(_ path: String, hidden: Int = 256, layers: Int = 4, vocab: Int = 30522) throws {
    var shapes: [(String, [Int])] = [
        ("embeddings.word_embeddings.weight", [vocab, hidden]), ("embeddings.position_embeddings.weight", [512, hidden]),
        ("embeddings.token_type_embeddings.weight", [2, hidden]), ("embeddings.LayerNorm.weight", [hidden]),
        ("embeddings.LayerNorm.bias", [hidden]),
    ]
    for i in 0..<layers {
        let p = "encoder.layer.\(i)."
        for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
            shapes += [(p + name + ".weight", [hidden, hidden]), (p + name + ".bias", [hidden])]
        }
        shapes += [(p + "attention.output.LayerNorm.weight", [hidden]), (p + "attention.output.LayerNorm.bias", [hidden])]
        shapes += [(p + "intermediate.dense.weight", [4 * hidden, hidden]), (p + "intermediate.dense.bias", [4 * hidden])]
        shapes += [(p + "output.dense.weight", [hidden, 4 * hidden]), (p + "output.dense.bias", [hidden])]
        shapes += [(p + "output.LayerNorm.weight", [hidden]), (p + "output.LayerNorm.bias", [hidden])]
    }
    shapes += [("pooler.dense.weight", [hidden, hidden]), ("pooler.dense.bias", [hidden])]
    var members: [(String, JSONValue)] = [("__metadata__", .object([("format", .string("pt"))]))]
    var offset = 0
    for (name, shape) in shapes {
        let bytes = shape.reduce(4, *)
        members.append((name, .object([("dtype", .string("F32")), ("shape", .array(shape.map { .integer(Int64($0)) })),
                                       ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + bytes))]))])))
        offset += bytes
    }
    var header = Array(JSONValue.object(members).serialized().utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var data = Data()
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    var state: UInt32 = 12345
    var values = [Float](repeating: 0, count: offset / 4)
    for i in values.indices {
        state = state &* 1_664_525 &+ 1_013_904_223
        values[i] = (Float(state >> 8) / Float(1 << 24) - 0.5) * 0.04
    }
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    try data.write(to: URL(fileURLWithPath: path))
}

@Suite("Crash safety of writes", .serialized)
struct CrashSafetyTests {
    @Test("SIGKILL at many points of a conversion leaves the destination absent or complete, and the input unchanged")
    func killDuringConversion() throws {
        let work = try temporaryFolder()
        let input = work + "/model.safetensors"
        try writeLargeCheckpoint(input)
        let inputHash = try MappedFile(path: input).sha256()
        let folder = FilePath.directory(of: FilePath.realPath("/proc/self/exe") ?? CommandLine.arguments[0])

        // One uninterrupted run gives the expected output and the time a run takes.
        let start = Date()
        #expect(try bertinspect("convert", input, "--to", "safetensors", "--dtype", "f32", "-o", work + "/expected.safetensors").code == 0)
        let duration = Date().timeIntervalSince(start)
        let expected = try MappedFile(path: work + "/expected.safetensors").sha256()

        var kills = 0, complete = 0, absent = 0
        for attempt in 0..<24 {
            let destination = work + "/out-\(attempt % 3).safetensors"
            try? FileManager.default.removeItem(atPath: destination)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FilePath.join(folder, "bertinspect"))
            process.arguments = ["convert", input, "--to", "safetensors", "-o", destination]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(duration * 1_000_000 * Double(attempt) / 24))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: destination) {
                #expect(try MappedFile(path: destination).sha256() == expected, "attempt \(attempt): a partial file under the final name")
                complete += 1
            } else {
                absent += 1
            }
        }
        #expect(kills > 0)
        #expect(complete + absent == 24)
        #expect(try MappedFile(path: input).sha256() == inputHash)

        // The next run removes what killed runs left behind, and says so.
        let leftBehind = FilePath.contents(of: work).filter { $0.hasPrefix(AtomicFile.temporaryMarker + "out-0") }.count
        let next = try bertinspect("convert", input, "--to", "safetensors", "-o", work + "/out-0.safetensors", "--force")
        #expect(next.code == 0)
        let leftovers = FilePath.contents(of: work).filter { $0.hasPrefix(AtomicFile.temporaryMarker + "out-0") }
        #expect(leftovers.isEmpty)
        // Killed runs that got as far as creating their temporary file left one; the next run must have said so.
        if leftBehind > 0 { #expect(next.stderr.contains("left by an interrupted run"), "\(next.stderr)") }
    }
}
