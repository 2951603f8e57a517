#if canImport(Glibc)
import Glibc
#endif

/// The lines of a text file (or of standard input, named `-`), read in chunks so that memory does not grow with the
/// file: one line at a time, `\n` or `\r\n` ending each, empty lines skipped. Anything but a regular file, a pipe
/// given as `-`, is refused without blocking (see `InputFile`).
public final class TextLines: Sequence, IteratorProtocol {
    /// The path as given (`-` for standard input), used in messages.
    public let path: String
    /// Longest line accepted.
    public static let maximumLineLength = 64 << 20
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    /// The 1-based number of the last line returned.
    public private(set) var lineNumber = 0
    /// The first problem met (invalid UTF-8, an over-long line, a read error); iteration stops there.
    public private(set) var error: TensorFormatError?

    /// Opens `path` (`-`: standard input).
    public init(path: String) throws(TensorFormatError) {
        self.path = path
        descriptor = path == "-" ? 0 : try InputFile.open(path).descriptor
    }

    deinit {
        if descriptor != 0 { close(descriptor) }
    }

    /// The next non-empty line, or nil at the end (or at the first error, kept in `error`).
    public func next() -> String? {
        while error == nil {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let bytes = buffer[start..<end]
                start = newline + 1
                lineNumber += 1
                if bytes.isEmpty { continue }
                return decode(bytes)
            }
            if ended {
                guard start < buffer.count else { return nil }
                var bytes = buffer[start...]
                if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
                start = buffer.count
                lineNumber += 1
                return bytes.isEmpty ? nil : decode(bytes)
            }
            fill()
        }
        return nil
    }

    private func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            error = .invalidCompanion(path: path, reason: "line \(lineNumber) is not valid UTF-8")
            return nil
        }
        return text
    }

    /// Reads the next chunk, keeping the unfinished line.
    private func fill() {
        guard buffer.count - start <= Self.maximumLineLength else {
            error = .invalidCompanion(path: path, reason: "line \(lineNumber + 1) is longer than \(Self.maximumLineLength) bytes")
            return
        }
        guard let count = InputFile.readChunk(descriptor, into: &buffer, consumed: &start) else {
            error = .cannotOpen(path: path, reason: systemError())
            return
        }
        if count == 0 { ended = true }
    }
}
