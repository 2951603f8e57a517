import CSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its destination folder and renamed into place only when complete:
/// write, fsync, rename, fsync the folder. A process killed at any moment leaves no file under the final name.
public final class AtomicFile {
    public let destination: String
    /// The temporary path being written (`.bertinspect-tmp-<name>.<pid>.XXXXXX` beside the destination).
    public let temporaryPath: String
    private var descriptor: Int32
    private var committed = false
    private var written = 0
    private var writebackStarted = 0

    /// Bytes after which written data is handed to the kernel for writing back, so the final fsync finds little left.
    static let writebackChunk = 32 << 20

    /// Prefix of every temporary file name, so leftovers of a killed run can be recognised.
    public static let temporaryMarker = ".bertinspect-tmp-"

    /// Temporary files of earlier runs that were killed before renaming, removed when this file was created.
    public private(set) var removedLeftovers: [String] = []

    /// Creates the temporary file; fails if `destination` exists and `overwrite` is false. Leftover temporary files
    /// for the same destination whose writing process no longer runs are removed first (see `removedLeftovers`).
    public init(destination: String, overwrite: Bool) throws(TensorFormatError) {
        self.destination = destination
        if !overwrite, access(destination, F_OK) == 0 {
            throw .cannotOpen(path: destination, reason: "it already exists (use --force to overwrite)")
        }
        let folder = FilePath.directory(of: destination)
        let stem = Self.temporaryMarker + FilePath.fileName(of: destination) + "."
        var removed: [String] = []
        for name in FilePath.contents(of: folder) where name.hasPrefix(stem) {
            let rest = name.dropFirst(stem.count)
            guard let dot = rest.firstIndex(of: "."), let pid = Int32(rest[..<dot]) else { continue }
            if kill(pid, 0) != 0, errno == ESRCH, unlink(FilePath.join(folder, name)) == 0 {
                removed.append(FilePath.join(folder, name))
            }
        }
        var template = Array(FilePath.join(folder, stem + "\(getpid()).XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .cannotOpen(path: destination, reason: "cannot create a temporary file beside it: \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o644)
        descriptor = fd
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        removedLeftovers = removed
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TensorFormatError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(path: destination, reason: "writing failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        self.written += bytes.count
        if self.written - writebackStarted >= Self.writebackChunk { startWriteback() }
    }

    /// Asks the kernel to start writing back what has been written so far, without waiting (Linux
    /// `sync_file_range`); the fsync in `commit` then overlaps with the work that produced the data.
    public func startWriteback() {
        let fd = descriptor >= 0 ? descriptor : open(temporaryPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        bertinspect_start_writeback(fd)
        if fd != descriptor { close(fd) }
        writebackStarted = written
    }

    /// Closes the descriptor without renaming, for writers (libhdf5) that write the temporary path themselves.
    public func closeForExternalWriter() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Makes the file durable and moves it to its final name.
    public func commit() throws(TensorFormatError) {
        if descriptor < 0 {
            descriptor = open(temporaryPath, O_RDONLY | O_CLOEXEC)
        }
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            throw .cannotOpen(path: destination, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, destination) == 0 else {
            throw .cannotOpen(path: destination, reason: "rename failed: \(String(cString: strerror(errno)))")
        }
        committed = true
        let folder = open(FilePath.directory(of: destination), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
