#if canImport(Glibc)
import Glibc
#endif
import BERTGraph
import BERTRuntime
import TensorFormats
import WordPiece

/// The device a command runs the model on: `auto` is CUDA when a usable device is found, else the CPU.
enum Device: String {
    case cpu, cuda, auto

    /// Parses `--device`.
    static func parse(_ value: String?) throws -> Device {
        guard let value else { return .auto }
        guard let device = Device(rawValue: value) else { throw UsageError("--device must be cpu, cuda or auto, got '\(value)'") }
        return device
    }
}

/// The requested device cannot be used; exits 4.
struct DeviceUnavailable: Error, CustomStringConvertible {
    var description: String
}

/// A checkpoint opened, loaded and prepared to run on a device, with its tokenizer when one is known.
struct ModelSession {
    var checkpoint: Checkpoint
    var model: BERTModel
    var runner: any ModelRunner
    /// `cpu` or `cuda`: where the model runs (the `device:` line and JSON `device` member).
    var deviceName: String

    /// Loads `path` and prepares the forward pass on `device`: `cuda` fails with `DeviceUnavailable` saying what is
    /// missing, `auto` takes CUDA when it is usable and the CPU otherwise. `threads` sets OpenBLAS's thread count;
    /// `tf32` lets cuBLAS use TF32 tensor cores.
    init(path: String, device: Device, threads: Int?, tf32: Bool) throws {
        checkpoint = try Checkpoint.open(path, formats: checkpointFormats)
        model = try ModelLoader.load(checkpoint)
        let weights = try ModelWeights(model: model, store: checkpoint.store)
        if device != .cpu {
            do {
                runner = try ForwardPass(model: model, weights: weights, backend: try CUDABackend(tf32: tf32))
                deviceName = "cuda"
                return
            } catch let error as RuntimeError where error.concernsDevice {
                if device == .cuda { throw DeviceUnavailable(description: sentenceWithoutStop(error.description)) }
            }
        }
        if let threads { setThreadCount(threads) }
        runner = try ForwardPass(model: model, weights: weights, backend: CPUBackend())
        deviceName = "cpu"
    }

    /// A tokenizer from `--vocab` or the model folder's vocab.txt, lower-casing as `--lower-case`/`--no-lower-case`,
    /// tokenizer_config.json or BERT's default (lower-case) say. The vocabulary must fit the word embeddings.
    func tokenizer(vocab: String?, lowerCase: Bool?) throws -> BERTTokenizer {
        guard let path = vocab ?? checkpoint.vocabPath else {
            throw TensorFormatError.invalidCompanion(path: checkpoint.path, reason: "no vocab.txt beside the weights; give --vocab FILE")
        }
        let vocabulary = try Vocabulary(contentsOfFile: path)
        let rows = model.architecture == .kerasCNN
            ? model.parameters.first { $0.spec.kind == .embedding }?.spec.shape[0] ?? 0 : model.configuration.vocabSize
        guard vocabulary.count <= rows else {
            throw TensorFormatError.invalidCompanion(
                path: path, reason: "the vocabulary has \(vocabulary.count) tokens but the model's word embeddings have \(rows) rows")
        }
        return BERTTokenizer(vocabulary: vocabulary, lowerCase: lowerCase ?? model.configuration.doLowerCase ?? true)
    }

    /// Whether the model takes token ids only (the notebook's Keras models), padded to a fixed length, no mask.
    var idsOnly: Bool { model.architecture == .bertCNN || model.architecture == .kerasCNN }
}

/// `text` without its final full stop, for messages that add their own.
func sentenceWithoutStop(_ text: String) -> String {
    text.hasSuffix(".") ? String(text.dropLast()) : text
}

/// The `--tf32` flag, refused with `--device cpu` (where no tensor core could honour it).
func tf32Option(_ parsed: Arguments, device: Device) throws -> Bool {
    guard parsed.has("--tf32") else { return false }
    if device == .cpu { throw UsageError("--tf32 applies to CUDA; drop it or use --device cuda|auto") }
    return true
}

/// Texts from `--text` (repeatable) and `--texts-file` (one per line), in order.
func collectTexts(_ parsed: Arguments) throws -> [String] {
    var texts = parsed.all("--text")
    if let file = parsed.value("--texts-file") {
        guard let content = try MappedFile.withContents(of: file, { String(validating: $0, as: UTF8.self) }) else {
            throw TensorFormatError.invalidCompanion(path: file, reason: "the texts file is not valid UTF-8")
        }
        texts += content.split(separator: "\n", omittingEmptySubsequences: true).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
    }
    texts += parsed.positionals.dropFirst()
    return texts
}

/// Tokenizes `texts` into one batch: padded to the longest (or, for ids-only models, to `maxLength`).
func encodeBatch(_ texts: [String], pair: String?, tokenizer: BERTTokenizer, maxLength: Int, idsOnly: Bool)
    -> (input: EncoderInput, encodings: [Encoding])
{
    var encodings = texts.map { tokenizer.encode($0, pair: pair, maxLength: maxLength, padToMaxLength: idsOnly) }
    let length = encodings.map(\.inputIDs.count).max() ?? 0
    let pad = Int32(tokenizer.vocabulary.paddingID)
    for i in encodings.indices where encodings[i].inputIDs.count < length {
        let missing = length - encodings[i].inputIDs.count
        encodings[i].inputIDs += Array(repeating: pad, count: missing)
        encodings[i].tokenTypeIDs += Array(repeating: 0, count: missing)
        encodings[i].attentionMask += Array(repeating: 0, count: missing)
    }
    // The notebook's Keras models are called with ids only, so BERT attends to every position.
    let mask = idsOnly ? encodings.map { $0.attentionMask.map { _ in Int32(1) } } : encodings.map(\.attentionMask)
    return (EncoderInput(inputIDs: encodings.map(\.inputIDs), attentionMask: mask, tokenTypeIDs: encodings.map(\.tokenTypeIDs)), encodings)
}

/// The `--lower-case` / `--no-lower-case` choice, if given.
func lowerCaseOption(_ parsed: Arguments) throws -> Bool? {
    if parsed.has("--lower-case"), parsed.has("--no-lower-case") { throw UsageError("give --lower-case or --no-lower-case, not both") }
    if parsed.has("--lower-case") { return true }
    if parsed.has("--no-lower-case") { return false }
    return nil
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
