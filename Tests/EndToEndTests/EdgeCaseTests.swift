import Foundation
import Testing
import FixtureSupport
import TensorFormats

/// Runs the built binary with a time limit: a command that hangs (a FIFO opened for reading blocks forever) is
/// killed and reported as exit code -1 instead of hanging the test run.
func bertinspect(arguments: [String], timeout: TimeInterval, environment: [String: String]? = nil, shell: String? = nil)
    throws -> (code: Int32, stdout: String, stderr: String)
{
    let folder = FilePath.directory(of: FilePath.realPath("/proc/self/exe") ?? CommandLine.arguments[0])
    let capture = FilePath.join(NSTemporaryDirectory(), "bertinspect-capture-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: capture + ".out", contents: nil),
          FileManager.default.createFile(atPath: capture + ".err", contents: nil)
    else { throw CocoaError(.fileWriteUnknown) }
    defer {
        try? FileManager.default.removeItem(atPath: capture + ".out")
        try? FileManager.default.removeItem(atPath: capture + ".err")
    }
    let process = Process()
    let binary = FilePath.join(folder, "bertinspect")
    if let shell {
        // `shell` is a prefix run by /bin/sh before exec (`ulimit -f 64;`).
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", shell + " exec \"$0\" \"$@\"", binary] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
    }
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: capture + ".out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: capture + ".err"))
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    var code: Int32
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        code = -1
    } else {
        code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
    try out.close()
    try err.close()
    let stdout = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: capture + ".out"))) ?? Data(), as: UTF8.self)
    let stderr = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: capture + ".err"))) ?? Data(), as: UTF8.self)
    return (code, stdout, stderr)
}

/// Whether `folder` holds nothing but `allowed` names (no output, no temporary file).
func leftovers(in folder: String, allowing allowed: Set<String> = []) -> [String] {
    FilePath.contents(of: folder).filter { !allowed.contains($0) }
}

/// A copy of a fixture folder to change.
func copyFixture(_ name: String) throws -> String {
    let work = try temporaryFolder()
    for file in FilePath.contents(of: Fixtures.path(name)) {
        try FileManager.default.copyItem(atPath: Fixtures.path(name + "/" + file), toPath: work + "/" + file)
    }
    return work
}

/// Writes a safetensors file from (name, dtype, shape, bytes) entries, with `metadata`. A `hole` is one more F32
/// tensor at the end whose bytes are never written: the file is extended over them, sparse (zeros).
func writeSafetensors(_ path: String, _ entries: [(String, String, [Int], [UInt8])], metadata: [(String, String)] = [("format", "pt")],
                      hole: (name: String, shape: [Int])? = nil) throws {
    var members: [(String, JSONValue)] = metadata.isEmpty ? [] : [("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))]
    var offset = 0
    for (name, dtype, shape, bytes) in entries {
        members.append((name, .object([("dtype", .string(dtype)), ("shape", .array(shape.map { .integer(Int64($0)) })),
                                       ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + bytes.count))]))])))
        offset += bytes.count
    }
    let holeBytes = hole.map { $0.shape.reduce(4, *) } ?? 0
    if let hole {
        members.append((hole.name, .object([("dtype", .string("F32")), ("shape", .array(hole.shape.map { .integer(Int64($0)) })),
                                            ("data_offsets", .array([.integer(Int64(offset)), .integer(Int64(offset + holeBytes))]))])))
    }
    var header = Array(JSONValue.object(members).serialized().utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var data = Data()
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    for entry in entries { data.append(contentsOf: entry.3) }
    try data.write(to: URL(fileURLWithPath: path))
    if holeBytes > 0 { #expect(truncate(path, off_t(data.count + holeBytes)) == 0) }
}

/// The tensors of a safetensors fixture as entries for `writeSafetensors`.
func safetensorsEntries(_ path: String) throws -> [(String, String, [Int], [UInt8])] {
    let file = try SafetensorsFile(path: path)
    return try file.tensors.map { tensor in
        (tensor.name, tensor.dtype.rawValue, tensor.shape, try file.withBytes(of: tensor) { Array($0) })
    }
}

@Suite("Edges: outputs")
struct OutputEdgeTests {
    static let isRoot = getuid() == 0

    @Test("a full disk: exit 5 naming the output and 'no space left on device', nothing under the final name",
          .enabled(if: isRoot, "mounting a small tmpfs needs root; CI runs as root"), arguments: ["h5", "safetensors"])
    func fullDisk(format: String) throws {
        let mount = try temporaryFolder()
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=300k", "tmpfs", mount]
        try mounted.run()
        mounted.waitUntilExit()
        guard mounted.terminationStatus == 0 else {
            Issue.record("mount -t tmpfs failed as root")
            return
        }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [mount]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let name = format == "h5" ? "tf_model.h5" : "model.safetensors"
        let result = try bertinspect(arguments: ["convert", Fixtures.path("tf-seqcls"), "--to", format, "-o", mount + "/" + name], timeout: 60)
        #expect(result.code == 5, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(mount)/\(name): cannot write the output: no space left on device"), "\(result.stderr)")
        #expect(leftovers(in: mount).isEmpty, "\(leftovers(in: mount))")
    }

    @Test("the file size limit reached (RLIMIT_FSIZE): exit 5, no signal, nothing under the final name", arguments: ["h5", "safetensors"])
    func fileSizeLimit(format: String) throws {
        let work = try temporaryFolder()
        let name = format == "h5" ? "tf_model.h5" : "model.safetensors"
        // ulimit -f counts 512-byte blocks (POSIX sh): 128 blocks = 64 KiB, far below the 320 KiB of weights.
        let result = try bertinspect(arguments: ["convert", Fixtures.path("tf-seqcls"), "--to", format, "-o", work + "/" + name],
                                     timeout: 60, shell: "ulimit -f 128;")
        #expect(result.code == 5, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("bertinspect convert: \(work)/\(name): cannot write the output: the file size limit was reached"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(leftovers(in: work).isEmpty, "\(leftovers(in: work))")
    }

    @Test("two writers racing for one output without --force: exactly one wins, the other exits 5 'already exists'")
    func racingWriters() throws {
        let folder = FilePath.directory(of: FilePath.realPath("/proc/self/exe") ?? CommandLine.arguments[0])
        for _ in 0..<8 {
            let work = try temporaryFolder()
            let processes = (0..<2).map { _ in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: FilePath.join(folder, "bertinspect"))
                process.arguments = ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "-o", work + "/x.safetensors"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                return process
            }
            for process in processes { try process.run() }
            for process in processes { process.waitUntilExit() }
            let codes = processes.map(\.terminationStatus).sorted()
            #expect(codes == [0, 5], "exit codes \(codes)")
            #expect(leftovers(in: work) == ["x.safetensors"])
            let written = try SafetensorsFile(path: work + "/x.safetensors")
            #expect(written.tensors.count == (try Fixtures.reference("pt-seqcls"))["stored_tensors"]?.intValue)
        }
    }

    @Test("outputs that exist and are not regular files are refused; a dangling link counts as existing")
    func nonRegularOutputs() throws {
        let work = try temporaryFolder()
        let device = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "-o", "/dev/null", "--force"], timeout: 60)
        #expect(device.code == 5)
        #expect(device.stderr == "bertinspect convert: /dev/null: the output exists and is a character device, not a regular file; refused.\n")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)

        try FileManager.default.createSymbolicLink(atPath: work + "/dangling.safetensors", withDestinationPath: work + "/nowhere")
        let dangling = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "-o", work + "/dangling.safetensors"], timeout: 60)
        #expect(dangling.code == 5)
        #expect(dangling.stderr == "bertinspect convert: \(work)/dangling.safetensors: the output already exists (use --force to overwrite it).\n")
        #expect(!FileManager.default.fileExists(atPath: work + "/nowhere"))

        try FileManager.default.createDirectory(atPath: work + "/dir.h5", withIntermediateDirectories: false)
        let folder = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "h5", "-o", work + "/dir.h5", "--force"], timeout: 60)
        #expect(folder.code == 5 || folder.code == 0)
        if folder.code == 5 {
            #expect(folder.stderr.contains("is a directory, not a regular file"))
        } else {
            // A folder OUT receives tf_model.h5 inside it.
            #expect(FileManager.default.fileExists(atPath: work + "/dir.h5/tf_model.h5"))
        }
        let fifo = work + "/out.fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        let pipe = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "-o", fifo, "--force"], timeout: 60)
        #expect(pipe.code == 5)
        #expect(pipe.stderr == "bertinspect convert: \(fifo): the output exists and is a FIFO, not a regular file; refused.\n")
    }

    @Test("an overflowing --max-shard-size is a usage error, not a trap")
    func shardSizeOverflow() throws {
        let result = try bertinspect(arguments: ["convert", Fixtures.path("pt-seqcls"), "--to", "safetensors", "--max-shard-size", "99999999999GB"], timeout: 60)
        #expect(result.code == 2)
        #expect(result.stderr == "bertinspect convert: --max-shard-size must look like 2GB, 500MB or 1000000 and fit a file, got '99999999999GB'; see 'bertinspect convert --help'\n")
    }
}

@Suite("Edges: inputs")
struct InputEdgeTests {
    @Test("a FIFO anywhere an input is read is refused at once with exit 3, never waited on")
    func fifos() throws {
        let work = try temporaryFolder()
        let fifo = work + "/pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        let sharded = try copyFixture("pt-sharded")
        let shard = FilePath.contents(of: sharded).first { $0.hasSuffix(".safetensors") }!
        try FileManager.default.removeItem(atPath: sharded + "/" + shard)
        #expect(mkfifo(sharded + "/" + shard, 0o644) == 0)
        let cases: [[String]] = [
            ["summary", fifo],
            ["summary", sharded],
            ["verify", Fixtures.path("tf-seqcls"), "--golden", fifo],
            ["verify", Fixtures.path("tf-seqcls"), "--record", work + "/g.json", "--ids-file", fifo],
            ["run", Fixtures.path("tf-seqcls"), "--texts-file", fifo],
            ["run", Fixtures.path("tf-seqcls"), "--vocab", fifo, "--text", "hello"],
            ["tokenize", "--vocab", fifo, "hello"],
        ]
        for arguments in cases {
            let result = try bertinspect(arguments: arguments, timeout: 20)
            #expect(result.code == 3, "\(arguments): \(result.code) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("not a regular file"), "\(arguments): \(result.stderr)")
        }
    }

    @Test("a PATH that cannot be reached says why: missing, a link loop, a file used as a folder")
    func unreachablePaths() throws {
        let work = try temporaryFolder()
        #expect(symlink(work + "/b", work + "/a") == 0 && symlink(work + "/a", work + "/b") == 0)
        try Data("x".utf8).write(to: URL(fileURLWithPath: work + "/file"))
        let cases = [(work + "/missing", ENOENT), (work + "/a", ELOOP), (work + "/file/model.safetensors", ENOTDIR)]
        for (path, code) in cases {
            let reason = String(cString: strerror(code))
            let result = try bertinspect(arguments: ["summary", path], timeout: 20)
            #expect(result.code == 3)
            #expect(result.stderr == "bertinspect summary: \(path): cannot open the file: \(reason.prefix(1).lowercased() + reason.dropFirst()).\n")
        }
    }

    @Test("an input truncated while it is read: exit 3 'changed while it was read', no signal, no temporary file")
    func truncatedWhileRead() throws {
        let work = try temporaryFolder()
        // A BertModel whose word embeddings are 128 MB of zeros in a hole of a sparse file, converted to f16 so that
        // every value is read through the mapping while another process cuts the file in half.
        var entries = try safetensorsEntries(Fixtures.path("pt-base/model.safetensors"))
        let rows = 1_000_000
        let width = entries.first { $0.0 == "embeddings.word_embeddings.weight" }!.2[1]
        entries.removeAll { $0.0 == "embeddings.word_embeddings.weight" }
        var hit = false
        for attempt in 0..<3 where !hit {
            let input = work + "/big-\(attempt).safetensors"
            try writeSafetensors(input, entries, hole: ("embeddings.word_embeddings.weight", [rows, width]))
            let size = try FileManager.default.attributesOfItem(atPath: input)[.size] as! Int
            let folder = FilePath.directory(of: FilePath.realPath("/proc/self/exe") ?? CommandLine.arguments[0])
            let out = work + "/out-\(attempt)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FilePath.join(folder, "bertinspect"))
            process.arguments = ["convert", input, "--to", "safetensors", "--dtype", "f16", "-o", out + "/model.safetensors"]
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            usleep(useconds_t(300_000 * (attempt + 1)))
            let finishedEarly = !process.isRunning
            #expect(truncate(input, off_t(size / 2)) == 0)
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if finishedEarly || process.terminationStatus == 0 { continue }
            hit = true
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 3, "\(stderr)")
            #expect(stderr == "bertinspect: \(input): the file changed while it was read (it shrank under a memory mapping); nothing was written.\n")
            #expect(leftovers(in: out).isEmpty, "\(leftovers(in: out))")
        }
        #expect(hit, "the truncation never happened while the conversion was reading")
    }

    @Test("hostile headers hit a documented limit fast instead of costing gigabytes")
    func limits() throws {
        let work = try temporaryFolder()
        let base = try safetensorsEntries(Fixtures.path("pt-base/model.safetensors")).filter { !$0.0.hasPrefix("encoder.") }
        let layers = (0...1_000).map { ("encoder.layer.\($0).attention.self.query.weight", "F32", [0, 0], [UInt8]()) }
        try writeSafetensors(work + "/layers.safetensors", base + layers)
        let deep = try bertinspect(arguments: ["summary", work + "/layers.safetensors"], timeout: 30)
        #expect(deep.code == 3)
        #expect(deep.stderr == "bertinspect summary: \(work)/layers.safetensors: unsupported checkpoint: the tensors describe more than 1000 encoder layers, more than bertinspect accepts.\n")

        let many = (0...SafetensorsFile.maximumTensorCount).map { ("t\($0)", "F32", [0], [UInt8]()) }
        try writeSafetensors(work + "/many.safetensors", many)
        let wide = try bertinspect(arguments: ["summary", work + "/many.safetensors"], timeout: 30)
        #expect(wide.code == 3)
        #expect(wide.stderr.contains("more than 100000 tensors, more than bertinspect accepts"), "\(wide.stderr)")

        let records = JSONValue.array((0...10_000).map { JSONValue.object([("name", .string("layer_\($0)")), ("class", .string("Dense")), ("weights", .array([]))]) })
        let seqcls = try safetensorsEntries(Fixtures.path("pt-seqcls/model.safetensors"))
        try writeSafetensors(work + "/records.safetensors", seqcls, metadata: [("format", "pt"), ("bertinspect.keras_layers", records.serialized())])
        let listed = try bertinspect(arguments: ["summary", work + "/records.safetensors"], timeout: 30)
        #expect(listed.code == 3)
        #expect(listed.stderr.contains("lists 10001 Keras layers"), "\(listed.stderr)")

        let entries = (0...100_000).map { (String("t\($0)"), JSONValue.string("model.safetensors")) }
        let index = JSONValue.object([("metadata", .object([])), ("weight_map", .object(entries))]).serialized()
        try FileManager.default.createDirectory(atPath: work + "/index", withIntermediateDirectories: false)
        try index.write(toFile: work + "/index/model.safetensors.index.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Fixtures.path("pt-seqcls/model.safetensors"), toPath: work + "/index/model.safetensors")
        let indexed = try bertinspect(arguments: ["summary", work + "/index/model.safetensors.index.json"], timeout: 30)
        #expect(indexed.code == 3)
        #expect(indexed.stderr == "bertinspect summary: \(work)/index/model.safetensors.index.json: invalid shard index: 'weight_map' lists 100001 tensors, more than 100000.\n")
    }

    @Test("HDF5 files with big-endian floats and fixed-length NULL-padded strings read as their source does")
    func hdf5Variants() throws {
        let reference = try Fixtures.reference("tf-seqcls")
        let total = reference["parameters"]!["total"]!.intValue!
        for folder in ["h5-big-endian", "h5-fixed-strings", "h5-many-attributes"] {
            let summary = try bertinspect(arguments: ["summary", Fixtures.path(folder), "--json"], timeout: 30)
            #expect(summary.code == 0, "\(folder): \(summary.stderr)")
            let json = try JSONParser.parse(summary.stdout)
            #expect(json["parameters"]?["total"]?.intValue == total, "\(folder)")
            // Layers with weights, by the names Keras gave them (a dropout's number depends on the writing process).
            let layers = json["layers"]?.arrayValue?.filter { $0["parameters"]?.intValue != 0 }.compactMap { $0["name"]?.stringValue } ?? []
            let expected = reference["layers"]?.arrayValue?.filter { $0["parameters"]?.intValue != 0 }.compactMap { $0["name"]?.stringValue } ?? []
            #expect(layers == expected, "\(folder): \(layers)")
            let diff = try bertinspect(arguments: ["diff", Fixtures.path(folder), Fixtures.path("tf-seqcls")], timeout: 30)
            #expect(diff.code == 0, "\(folder): \(diff.stdout)")
            #expect(diff.stdout.hasSuffix("All \(reference["stored_tensors"]!.intValue!) tensors equal within atol 0.0.\n"), "\(folder)")
        }
    }

    @Test("a golden file with an infinite expected value fails verify, and says why")
    func infiniteGolden() throws {
        let work = try temporaryFolder()
        let text = try String(contentsOfFile: Fixtures.path("tf-seqcls/golden.json"), encoding: .utf8)
        // The first expected logit, whatever the file's layout, becomes 1e400 (a double overflow: infinity).
        let logits = try #require(text.range(of: "\"logits\""))
        let start = try #require(text[logits.upperBound...].firstIndex(where: { $0 == "-" || $0.isNumber }))
        let end = try #require(text[start...].firstIndex(where: { $0 == "," || $0 == "]" }))
        try (text[..<start] + "1e400" + text[end...]).write(toFile: work + "/golden.json", atomically: true, encoding: .utf8)
        let result = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", work + "/golden.json", "--json"], timeout: 60)
        #expect(result.code == 1, "\(result.stdout) \(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        #expect(json["passed"] == .bool(false))
        let logitsRow = json["outputs"]?.arrayValue?.first { $0["name"]?.stringValue == "logits" }
        #expect(logitsRow?["non_finite_expected"]?.intValue == 1)
        #expect(logitsRow?["failing_values"]?.intValue == 1)
        let table = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", work + "/golden.json"], timeout: 60)
        #expect(table.stdout.contains("note: 1 expected value(s) of logits are not finite (inf or NaN); each matches only the same value"))
    }

    @Test("errors about inputs name the file they are about")
    func errorsNameTheFile() throws {
        let work = try temporaryFolder()
        try #"{"schema": "bertinspect.golden/1", "inputs": {"input_ids": [[101, 999999, 102]]}, "outputs": {"logits": [[0.0, 0.0]]}}"#
            .write(toFile: work + "/golden.json", atomically: true, encoding: .utf8)
        let result = try bertinspect(arguments: ["verify", Fixtures.path("tf-seqcls"), "--golden", work + "/golden.json"], timeout: 60)
        #expect(result.code == 3)
        #expect(result.stderr.hasPrefix("bertinspect verify: \(work)/golden.json: sequence 0, position 1: token id 999999 is outside the vocabulary"), "\(result.stderr)")

        let swish = try copyFixture("pt-seqcls")
        var config = try String(contentsOfFile: swish + "/config.json", encoding: .utf8)
        config = config.replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"swish\"")
        try config.write(toFile: swish + "/config.json", atomically: true, encoding: .utf8)
        let act = try bertinspect(arguments: ["run", swish, "--text", "hello"], timeout: 60)
        #expect(act.code == 3)
        #expect(act.stderr.hasPrefix("bertinspect run: \(swish)/model.safetensors: unsupported model: hidden_act 'swish'"), "\(act.stderr)")
    }

    @Test("names and labels from files reach the terminal with their control characters escaped, on one line")
    func escapes() throws {
        let folder = try copyFixture("pt-seqcls")
        var config = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        let labels = try #require(config.range(of: "\"id2label\": {"))
        let close = try #require(config[labels.upperBound...].firstIndex(of: "}"))
        config.replaceSubrange(labels.lowerBound...close, with: #""id2label": {"0": "neg\nX\u001b[31mRED", "1": "neg\nX\u001b[31mRED"}"#)
        try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        let run = try bertinspect(arguments: ["run", folder, "--text", "a wonderful movie"], timeout: 60)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("\u{1b}"))
        #expect(run.stdout.contains(#"label neg\nX\u{1b}[31mRED"#), "\(run.stdout)")

        let entries = try safetensorsEntries(Fixtures.path("pt-seqcls/model.safetensors")) + [("evil\n\u{1b}[2J", "Q8", [1], [0])]
        try writeSafetensors(folder + "/evil.safetensors", entries)
        let summary = try bertinspect(arguments: ["summary", folder + "/evil.safetensors"], timeout: 60)
        #expect(summary.code == 3)
        #expect(summary.stderr == #"bertinspect summary: \#(folder)/evil.safetensors: tensor 'evil\n\u{1b}[2J' has unknown dtype 'Q8'."# + "\n")
    }

    @Test("a stored tensor that maps to nothing: convert refuses instead of dropping it, diff reports it on one side")
    func unmappedTensors() throws {
        let folder = try copyFixture("pt-seqcls")
        let entries = try safetensorsEntries(folder + "/model.safetensors") + [("extra.weight", "F32", [2], [0, 0, 128, 63, 0, 0, 0, 64])]
        try writeSafetensors(folder + "/model.safetensors", entries)
        let out = try temporaryFolder()
        let convert = try bertinspect(arguments: ["convert", folder, "--to", "h5", "-o", out + "/"], timeout: 60)
        #expect(convert.code == 3)
        #expect(convert.stderr == "bertinspect convert: \(folder)/model.safetensors: cannot convert losslessly: 1 stored tensor(s) map to no parameter of the BertForSequenceClassification and would be dropped: 'extra.weight'.\n")
        #expect(leftovers(in: out).isEmpty)
        let diff = try bertinspect(arguments: ["diff", folder, Fixtures.path("pt-seqcls")], timeout: 60)
        #expect(diff.code == 1)
        #expect(diff.stdout.contains("Only in A: extra.weight (stored, maps to no parameter)"), "\(diff.stdout)")
    }
}

@Suite("Edges: configuration")
struct ConfigurationEdgeTests {
    @Test("another model's config.json beside BERT weights is ignored with a warning naming it; the shapes decide")
    func strayConfig() throws {
        let folder = Fixtures.path("stray-gpt2-config")
        let reference = try Fixtures.reference("stray-gpt2-config")
        let stray = try #require(reference["stray_config"]?["model_type"]?.stringValue)
        let summary = try bertinspect(arguments: ["summary", folder, "--json"], timeout: 60)
        #expect(summary.code == 0, "\(summary.stderr)")
        let json = try JSONParser.parse(summary.stdout)
        #expect(json["parameters"]?["total"]?.intValue == reference["parameters"]?["total"]?.intValue)
        for field in ["vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size", "max_position_embeddings"] {
            #expect(json["config"]?[field]?.intValue == reference["config"]?[field]?.intValue, "\(field)")
        }
        let warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains("\(folder)/config.json: model_type is '\(stray)', not 'bert'; this config.json is ignored and the tensors' shapes are used"),
                "\(warnings)")

        // A folder output gets a BERT config.json written from the model, never the stray one.
        let out = try temporaryFolder()
        let convert = try bertinspect(arguments: ["convert", folder, "--to", "h5", "-o", out + "/tf/"], timeout: 60)
        #expect(convert.code == 0, "\(convert.stderr)")
        let written = try JSONParser.parse(try String(contentsOfFile: out + "/tf/config.json", encoding: .utf8))
        #expect(written["model_type"] == .string("bert"))
        #expect(written["hidden_size"]?.intValue == reference["config"]?["hidden_size"]?.intValue)
    }

    @Test("a config.json that cannot be read as JSON, or is over 16 MiB, is named with its problem (exit 3) and left as it was")
    func unreadableConfig() throws {
        let folder = try copyFixture("pt-seqcls")
        let config = folder + "/config.json"
        let cases: [(bytes: [UInt8], problem: String)] = [
            (Array("{\"hidden_size\": 32,".utf8), "not valid JSON: the JSON ends early (byte 19)"),
            (Array("{\"model_type\": \"bert".utf8) + [0xFF, 0x22, 0x7D], "not valid JSON: the text is not valid UTF-8"),
            ([], "not valid JSON: the JSON ends early (byte 0)"),
        ]
        for (bytes, problem) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: config))
            let summary = try bertinspect(arguments: ["summary", folder], timeout: 60)
            #expect(summary.code == 3, "\(problem)")
            #expect(summary.stderr == "bertinspect summary: \(config): \(problem).\n")
            #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == Data(bytes))
        }
        // Refused from its size alone: a sparse file of 17 MiB whose bytes (zeros) are never read.
        try Data().write(to: URL(fileURLWithPath: config))
        #expect(truncate(config, off_t(17 << 20)) == 0)
        let summary = try bertinspect(arguments: ["summary", folder], timeout: 60)
        #expect(summary.code == 3)
        #expect(summary.stderr == "bertinspect summary: \(config): the file is larger than 16 MiB.\n")
    }

    @Test("config.json values that contradict the tensors are warnings naming the file and field; the tensors are used")
    func contradictingConfig() throws {
        let folder = try copyFixture("pt-seqcls")
        let reference = try Fixtures.reference("pt-seqcls")
        let hidden = try #require(reference["config"]?["hidden_size"]?.intValue)
        var config = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        config = config.replacingOccurrences(of: "\"hidden_size\": \(hidden)", with: "\"hidden_size\": 768")
            .replacingOccurrences(of: "\"num_attention_heads\": \(reference["config"]!["num_attention_heads"]!.intValue!)", with: "\"num_attention_heads\": 5")
        try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        let summary = try bertinspect(arguments: ["summary", folder, "--json"], timeout: 60)
        #expect(summary.code == 0, "\(summary.stderr)")
        let json = try JSONParser.parse(summary.stdout)
        let warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains("\(folder)/config.json: hidden_size = 768, but the tensors say \(hidden); the tensors are used"), "\(warnings)")
        #expect(warnings.contains { $0.hasPrefix("\(folder)/config.json: num_attention_heads = 5 does not divide hidden_size = \(hidden)") }, "\(warnings)")
        #expect(json["config"]?["hidden_size"]?.intValue == hidden)
    }
}

@Suite("Edges: BERT variants")
struct VariantTests {
    /// `key: value` as the refusal names the setting reference.json records (`is_decoder: true`).
    func setting(_ variant: String) throws -> String {
        let members = try #require(try Fixtures.reference("bert-variants")["variants"]?[variant]?["setting"]?.objectValue)
        let (key, value) = try #require(members.first)
        return "\(key): " + (value.stringValue ?? (value.boolValue.map { $0 ? "true" : "false" } ?? ""))
    }

    @Test("a config.json that makes the encoder another computation (relative positions, causal attention) is refused by every command that computes, and named by summary",
          arguments: ["relative-key", "relative-key-query", "decoder"])
    func refused(variant: String) throws {
        // transformers' outputs for these weights differ from a plain BERT's (reference.json), which is what
        // ignoring the setting would print.
        let recorded = try #require(try Fixtures.reference("bert-variants")["variants"]?[variant])
        #expect(recorded["logits"] != recorded["logits_as_plain_bert"])
        let folder = Fixtures.path("bert-variants/\(variant)")
        let weights = folder + "/model.safetensors"
        let set = try setting(variant)
        let work = try temporaryFolder()
        try "text,label\nw5 w6,0\n".write(toFile: work + "/test.csv", atomically: true, encoding: .utf8)
        let reason = "unsupported model: config.json sets \(set), a BERT variant the runtime does not compute (it implements absolute position embeddings and bidirectional self-attention)."
        var cases: [([String], String)] = [
            (["run", folder, "--text", "w5 w6"], reason),
            (["verify", folder, "--record", work + "/golden.json", "--text", "w5"], reason),
            (["eval", folder, "--input", work + "/test.csv"], reason),
            (["bench", folder], reason),
        ]
        // An export refuses too: the decoder for its setting, the relative-position models already for their
        // distance embeddings, which map to no parameter of a BERT.
        let unused = recorded["tensors_a_plain_bert_does_not_use"]?.arrayValue?.compactMap(\.stringValue) ?? []
        cases.append((["convert", folder, "--to", "onnx", "-o", work + "/model.onnx"], unused.isEmpty
            ? "unsupported checkpoint: cannot be exported to ONNX: config.json sets \(set), a BERT variant the runtime does not compute (it implements absolute position embeddings and bidirectional self-attention)."
            : "cannot convert losslessly: \(unused.count) stored tensor(s) map to no parameter of the BertForSequenceClassification and would be dropped: \(unused.map { "'\($0)'" }.joined(separator: ", "))."))
        for (arguments, message) in cases {
            let result = try bertinspect(arguments: arguments, timeout: 60)
            #expect(result.code == 3, "\(arguments)")
            #expect(result.stderr.hasSuffix("bertinspect \(arguments[0]): \(weights): \(message)\n"), "\(arguments): \(result.stderr)")
        }
        if variant == "decoder" {  // (the relative-position models stop earlier: their distance embeddings map to no parameter)
            let gguf = try bertinspect(arguments: ["convert", folder, "--to", "gguf", "-o", work + "/model.gguf"], timeout: 60)
            #expect(gguf.code == 3)
            #expect(gguf.stderr == "bertinspect convert: \(weights): unsupported checkpoint: config.json sets \(set), which llama.cpp's BERT (absolute positions, bidirectional attention) does not compute.\n")
        }
        #expect(FilePath.contents(of: work) == ["test.csv"], "nothing written")
        let summary = try JSONParser.parse(try bertinspect(arguments: ["summary", folder, "--json"], timeout: 60).stdout)
        let warnings = summary["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains("config.json sets \(set): a BERT variant whose outputs run, verify, eval, bench and export do not compute (they refuse it); summary, diff and convert read its tensors as usual"), "\(warnings)")
    }

    @Test("a relative-position model's weights without config.json: refused, naming the encoder tensors the runtime would ignore")
    func orphanedDistanceEmbeddings() throws {
        let work = try temporaryFolder()
        for name in ["model.safetensors", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("bert-variants/relative-key/\(name)"), toPath: work + "/" + name)
        }
        let unused = try #require(try Fixtures.reference("bert-variants")["variants"]?["relative-key"]?["tensors_a_plain_bert_does_not_use"]?.arrayValue?.compactMap(\.stringValue))
        #expect(unused.count == 2)
        let result = try bertinspect(arguments: ["run", work, "--text", "w5"], timeout: 60)
        #expect(result.code == 3)
        #expect(result.stderr == "bertinspect run: \(work)/model.safetensors: unsupported model: 2 stored tensor(s) of the encoder that the runtime does not compute (\(unused.joined(separator: ", "))); its outputs would not be this model's.\n")
    }
}
