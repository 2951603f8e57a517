import BERTGraph
import BERTRuntime
import TensorFormats

let benchCommand = Command(
    name: "bench",
    abstract: "Time the forward pass on random ids: median, spread, sequences/s, GFLOP/s.",
    discussion: """
    Runs one warm-up pass, then times --runs passes over a batch of random token ids. Reports the median and the
    spread, sequences per second, achieved GFLOP/s (matrix products only: 2·M·N·K each) and the device: on the CPU
    the OpenBLAS kernel and thread count, on CUDA the GPU and whether TF32 was allowed. A pass is timed to the end of
    copying its outputs back to the host.
    """,
    arguments: [ArgumentSpec(name: "PATH", help: "Checkpoint file, shard index or model folder.", count: 1...1)],
    options: [
        .value("--batch", placeholder: "N", help: "Sequences per pass.", default: "8", range: 1...4096),
        .value("--seq-len", placeholder: "N", help: "Tokens per sequence.", default: "min(128, max_position_embeddings)", range: 2...100_000),
        .value("--runs", placeholder: "N", help: "Timed passes.", default: "10", range: 1...10_000),
        SharedOptions.json,
    ] + SharedOptions.model,
    examples: ["bertinspect bench fixtures/tf-seqcls --batch 8 --seq-len 64 --threads 1"],
    run: runBench
)

func runBench(_ parsed: ParsedArguments) throws -> ExitCode {
    let path = try parsed.single("PATH")
    let batch = parsed.integer("--batch", default: 8)
    let requestedLength = parsed.value("--seq-len").map { _ in parsed.integer("--seq-len", default: 128) }
    let runs = parsed.integer("--runs", default: 10)
    let threads = parsed.integer("--threads", default: threadCount())
    let device = deviceChoice(parsed)
    let session = try ModelSession(path: path, device: device, threads: threads, tf32: try tf32Option(parsed, device: device))
    let length = requestedLength ?? min(128, session.maximumLength ?? 128)
    let onCPU = session.deviceName == "cpu"
    let configuration = session.model.configuration
    guard session.model.architecture == .kerasCNN || length <= configuration.maxPositionEmbeddings else {
        throw UsageError("--seq-len \(length) exceeds the model's max_position_embeddings (\(configuration.maxPositionEmbeddings))")
    }
    let vocabulary = session.model.architecture == .kerasCNN
        ? session.model.parameters.first { $0.spec.kind == .embedding }?.spec.shape[0] ?? 2 : configuration.vocabSize
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let ids: [[Int32]] = (0..<batch).map { _ in
        (0..<length).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32(truncatingIfNeeded: (state >> 33) % UInt64(max(vocabulary, 1)))
        }
    }
    let input = EncoderInput(inputIDs: ids)
    _ = try session.runner.run(input)
    var times: [Double] = []
    for _ in 0..<runs {
        let start = monotonicSeconds()
        _ = try session.runner.run(input)
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    let flops = Double(session.runner.flopCount(batch: batch, sequenceLength: length, maskedLMPositions: 0))
    let sequencesPerSecond = Double(batch) / median
    let gflops = flops / median / 1e9
    let core = openBLASCoreName()
    if parsed.has("--json") {
        let host: [(String, JSONValue)] = onCPU ? [("threads", .integer(Int64(threadCount()))), ("openblas_core", .string(core))] : []
        print(JSONValue.object([
            ("schema", .string("bertinspect.bench/1")), ("path", .string(path)), ("device", .string(session.deviceName)),
            ("backend", .string(session.runner.backendName)), ("batch", .integer(Int64(batch))), ("seq_len", .integer(Int64(length))),
        ] + host + [
            ("runs", .integer(Int64(runs))), ("median_ms", .number(median * 1000)), ("min_ms", .number(times.first! * 1000)), ("max_ms", .number(times.last! * 1000)),
            ("ms_per_sequence", .number(median * 1000 / Double(batch))), ("sequences_per_second", .number(sequencesPerSecond)),
            ("gflop_per_batch", .number(flops / 1e9)), ("gflops", .number(gflops)),
        ]).serialized())
    } else {
        emit("\(path): \(session.model.architectureName), batch \(batch) × \(length), \(runs) runs after 1 warm-up")
        emit("device \(session.deviceName) (\(session.runner.backendName))" + (onCPU ? ", OpenBLAS core \(core), \(threadCount()) thread(s)" : ""))
        emit("median \(significant(median * 1000)) ms per batch (min \(significant(times.first! * 1000)), max \(significant(times.last! * 1000))), "
              + "\(significant(median * 1000 / Double(batch))) ms per sequence")
        emit("\(significant(sequencesPerSecond)) sequences/s, \(significant(flops / 1e9)) GFLOP per batch, \(significant(gflops)) GFLOP/s")
    }
    return .success
}
