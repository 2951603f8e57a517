#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Vocabulary {
    /// The largest vocabulary file accepted: 16 MiB (bert-base's `vocab.txt` is 232 KB, multilingual BERT's 872 KB).
    public static let maximumFileSize = 16 << 20
    /// The most tokens a vocabulary may hold when the model does not say how many it can take.
    public static let maximumTokenCount = 1_000_000

    /// Loads `vocab.txt`: one token per line, a token's id its 0-based line number.
    ///
    /// Reads lines as transformers' `load_vocab` does (Python text mode, UTF-8): `\n`, `\r\n` and a lone `\r` end
    /// a line and are removed, nothing else is stripped, a final line without a newline still counts, and a leading
    /// byte-order mark stays part of the first token. Refuses files over ``maximumFileSize`` and bytes that are not
    /// UTF-8, naming the line. A FIFO, socket or device is refused without blocking. `maximumTokens` (the rows of the
    /// model's word embeddings, when known) is checked by counting lines before any token is decoded, so a huge file
    /// costs one pass over its bytes, not a dictionary.
    public init(contentsOfFile path: String, maximumTokens: Int = maximumTokenCount) throws(WordPieceError) {
        let bytes = try Self.readFile(path)
        let count = Self.lineCount(of: bytes)
        guard count <= maximumTokens else { throw .tooManyTokens(path: path, count: count, limit: maximumTokens) }
        try self.init(tokens: try Self.lines(of: bytes, path: path), source: path)
    }

    /// The number of lines `lines(of:path:)` would return.
    static func lineCount(of bytes: [UInt8]) -> Int {
        var count = 0
        var index = 0
        var lineOpen = false
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                count += 1
                lineOpen = false
            case UInt8(ascii: "\r"):
                count += 1
                lineOpen = false
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
            default:
                lineOpen = true
            }
            index += 1
        }
        return count + (lineOpen ? 1 : 0)
    }

    private static func readFile(_ path: String) throws(WordPieceError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; anything but a regular file is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "it is not a regular file") }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        let size = Int(info.st_size)
        guard size <= maximumFileSize else { throw .fileTooLarge(path: path, size: size, limit: maximumFileSize) }
        // Read to the end of the file, not just `size` bytes, in case it grows while it is read.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= maximumFileSize else { break }
                bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, maximumFileSize + 1 - bytes.count)))
            }
            let n = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maximumFileSize else { throw .fileTooLarge(path: path, size: filled, limit: maximumFileSize) }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Splits the bytes at Python's universal newlines and decodes each line, refusing invalid UTF-8.
    static func lines(of bytes: [UInt8], path: String) throws(WordPieceError) -> [String] {
        var lines: [String] = []
        var start = 0
        var index = 0
        func finishLine(at end: Int) throws(WordPieceError) {
            guard let line = String(validating: bytes[start..<end], as: UTF8.self) else {
                throw .invalidUTF8(path: path, line: lines.count + 1, byteOffset: start + validPrefixLength(bytes[start..<end]))
            }
            lines.append(line)
        }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                try finishLine(at: index)
                index += 1
                start = index
            case UInt8(ascii: "\r"):
                try finishLine(at: index)
                index += index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") ? 2 : 1
                start = index
            default:
                index += 1
            }
        }
        if start < bytes.count { try finishLine(at: bytes.count) }
        return lines
    }

    /// The number of bytes at the start of `bytes` that decode as whole UTF-8 scalars.
    private static func validPrefixLength(_ bytes: ArraySlice<UInt8>) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var length = 0
        while case let .valid(encoded) = parser.parseScalar(from: &iterator) {
            length += encoded.count
        }
        return length
    }
}
