internal import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// Opens input files so that nothing the user names can hang or fool the tool: a FIFO, a socket or a device never
/// blocks in `open` (it is opened with `O_NONBLOCK` and refused after `fstat`), and only regular files are read.
public enum InputFile {
    /// An open regular file: its descriptor (blocking again) and size at the moment it was opened.
    public struct Opened {
        public var descriptor: Int32
        public var size: Int
    }

    /// Opens `path` read-only; refuses anything that is not a regular file (after following links).
    public static func open(_ path: String) throws(TensorFormatError) -> Opened {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: systemError()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = systemError()
            close(fd)
            throw .cannotOpen(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .cannotOpen(path: path, reason: "it is \(describe(mode: info.st_mode)), not a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return Opened(descriptor: fd, size: Int(info.st_size))
    }

    /// Reads the next chunk (up to 1 MiB) of `descriptor` onto the end of `buffer`, first dropping the `consumed`
    /// bytes at its front (`consumed` becomes 0): the buffered reading of `TextLines` and `TextRecords`. Returns the
    /// count read, 0 at the end of the input, or nil on a read error (`errno` says which).
    static func readChunk(_ descriptor: Int32, into buffer: inout [UInt8], consumed: inout Int) -> Int? {
        if consumed > 0 {
            buffer.removeFirst(consumed)
            consumed = 0
        }
        let chunk = 1 << 20
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var count = 0
        repeat {
            count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) }
        } while count < 0 && errno == EINTR
        buffer.removeLast(chunk - max(count, 0))
        return count < 0 ? nil : count
    }

    /// The first `count` bytes of the regular file at `path` (fewer for a shorter file) and its size, read with
    /// `pread`: recognising a format needs no mapping of a 440 MB file.
    public static func head(of path: String, count: Int) throws(TensorFormatError) -> ([UInt8], Int) {
        let opened = try open(path)
        defer { close(opened.descriptor) }
        var bytes = [UInt8](repeating: 0, count: min(count, opened.size))
        _ = fill(&bytes, from: opened.descriptor)  // (a read error leaves a shorter head, which no format matches)
        return (bytes, opened.size)
    }

    /// Reads the start of `descriptor` into `bytes` with `pread` until it is full or the file ends, and shortens
    /// `bytes` to what was read (a file that shrank meanwhile gives fewer); false after a read error.
    private static func fill(_ bytes: inout [UInt8], from descriptor: Int32) -> Bool {
        var filled = 0
        var failed = false
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { failed = true }
            guard n > 0 else { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return !failed
    }

    /// The whole contents of the small regular file at `path`, read into memory (cheaper than mapping a config.json
    /// of a few hundred bytes), or nil when it is larger than `limit` bytes; nothing beyond the limit is read.
    public static func contents(of path: String, limit: Int) throws(TensorFormatError) -> [UInt8]? {
        let opened = try open(path)
        defer { close(opened.descriptor) }
        guard opened.size <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: opened.size)
        guard fill(&bytes, from: opened.descriptor) else { throw .cannotOpen(path: path, reason: "reading failed: " + systemError()) }
        return bytes
    }

    /// What kind of file a `stat` mode describes, for messages (`a FIFO`, `a directory`).
    public static func describe(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Installs the process's fault guard (see `faultguard.c`); every reader and writer calls it, and only the first
    /// call does anything.
    public static func installFaultGuard() {
        bertinspect_fault_guard_install()
    }
}

/// The text of the current `errno`.
func systemError() -> String { String(cString: strerror(errno)) }
