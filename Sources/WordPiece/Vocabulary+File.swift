#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Vocabulary {
    /// The largest vocabulary file accepted: 64 MiB (bert-base's `vocab.txt` is 232 KB).
    public static let maximumFileSize = 64 << 20

    /// Loads `vocab.txt`: one token per line, a token's id its 0-based line number.
    ///
    /// Reads lines as transformers' `load_vocab` does (Python text mode, UTF-8): `\n`, `\r\n` and a lone `\r` end
    /// a line and are removed, nothing else is stripped, a final line without a newline still counts, and a leading
    /// byte-order mark stays part of the first token. Refuses files over ``maximumFileSize`` and bytes that are not
    /// UTF-8, naming the line.
    public init(contentsOfFile path: String) throws(WordPieceError) {
        let bytes = try Self.readFile(path)
        try self.init(tokens: try Self.lines(of: bytes, path: path), source: path)
    }

    private static func readFile(_ path: String) throws(WordPieceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "it is not a regular file") }
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
