internal import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// A file written under a temporary name in its destination folder and published under its final name only when
/// complete and durable: write, fsync, close (every result checked), then publish, then fsync the folder. A process
/// killed at any moment, a full disk or a failed close leaves no file under the final name and no temporary file.
///
/// Without `overwrite`, publishing is exclusive (`link(2)` of the temporary file, which fails if the name exists), so
/// of two writers racing for one name exactly one wins and the other gets `OutputError.exists`. With `overwrite`,
/// the file replaces the destination by `rename(2)`. An existing destination that is not a regular file (a device,
/// a FIFO, a socket, a folder) is never replaced; a dangling symbolic link counts as existing.
public final class AtomicFile {
    public let destination: String
    /// The temporary path being written (`.bertinspect-tmp-<name>.<pid>.XXXXXX` beside the destination).
    public let temporaryPath: String
    private let overwrite: Bool
    private var descriptor: Int32
    private var committed = false
    private var written = 0
    private var writebackStarted = 0
    private let guardSlot: Int32

    /// Bytes after which written data is handed to the kernel for writing back, so the final fsync finds little left.
    static let writebackChunk = 32 << 20

    /// Prefix of every temporary file name, so leftovers of a killed run can be recognised.
    public static let temporaryMarker = ".bertinspect-tmp-"

    /// Temporary files of earlier runs that were killed before publishing, removed when this file was created.
    public private(set) var removedLeftovers: [String] = []

    /// Creates the temporary file; fails if `destination` exists and `overwrite` is false, or exists and is not a
    /// regular file. Leftover temporary files for the same destination whose writing process no longer runs are
    /// removed first (see `removedLeftovers`).
    public init(destination: String, overwrite: Bool) throws(OutputError) {
        InputFile.installFaultGuard()
        self.destination = destination
        self.overwrite = overwrite
        try Self.checkDestination(destination, overwrite: overwrite)
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
        let fd = template.withUnsafeMutableBufferPointer { bertinspect_make_temporary($0.baseAddress!) }
        guard fd >= 0 else { throw OutputError.fromErrno(destination, "creating a temporary file beside it") }
        fchmod(fd, 0o644)
        descriptor = fd
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guardSlot = bertinspect_register_temporary(temporaryPath)
        removedLeftovers = removed
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
        bertinspect_unregister_temporary(guardSlot)
    }

    /// Refuses a destination that exists (unless `overwrite`) or that is not a regular file.
    static func checkDestination(_ destination: String, overwrite: Bool) throws(OutputError) {
        var info = stat()
        guard lstat(destination, &info) == 0 else { return }
        guard overwrite else { throw .exists(path: destination) }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            var target = stat()
            // A dangling link is replaced by the new file; a link to something else must lead to a regular file.
            guard stat(destination, &target) == 0 else { return }
            info = target
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .notRegularFile(path: destination, kind: InputFile.describe(mode: info.st_mode))
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError.fromErrno(destination, "writing")
            }
            if written == 0 { throw .noSpace(path: destination, reason: "no space left on device (writing)") }
            offset += written
        }
        self.written += bytes.count
        if self.written - writebackStarted >= Self.writebackChunk { startWriteback() }
    }

    /// Asks the kernel to start writing back what has been written so far, without waiting (Linux
    /// `sync_file_range`); the fsync in `commit` then overlaps with the work that produced the data.
    public func startWriteback() {
        guard descriptor >= 0 else { return }
        bertinspect_start_writeback(descriptor)
        writebackStarted = written
    }

    /// Closes the descriptor without publishing, for writers (libhdf5) that write the temporary path themselves.
    /// They must close their own handle, checking the result, before `commit`.
    public func closeForExternalWriter() throws(OutputError) {
        guard descriptor >= 0 else { return }
        let result = close(descriptor)
        descriptor = -1
        if result != 0 { throw OutputError.fromErrno(destination, "closing") }
    }

    /// Makes the file durable and publishes it under its final name. On any failure the temporary file is removed
    /// and nothing appears under the final name.
    public func commit() throws(OutputError) {
        if descriptor < 0 {
            descriptor = open(temporaryPath, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw OutputError.fromErrno(destination, "reopening the temporary file") }
        }
        let synced = fsync(descriptor)
        let syncError = OutputError.fromErrno(destination, "fsync")
        let closed = close(descriptor)
        let closeError = OutputError.fromErrno(destination, "closing")
        descriptor = -1
        guard synced == 0 else { throw syncError }
        guard closed == 0 else { throw closeError }
        try publish()
        committed = true
        bertinspect_unregister_temporary(guardSlot)
        let folder = open(FilePath.directory(of: destination), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Moves the finished temporary file to the destination: by rename when overwriting, by an exclusive link
    /// otherwise (falling back to `renameat2(RENAME_NOREPLACE)` on file systems without hard links).
    private func publish() throws(OutputError) {
        if overwrite {
            try Self.checkDestination(destination, overwrite: true)
            guard rename(temporaryPath, destination) == 0 else { throw OutputError.fromErrno(destination, "rename") }
            return
        }
        if link(temporaryPath, destination) == 0 {
            unlink(temporaryPath)
            return
        }
        if errno == EEXIST { throw .exists(path: destination) }
        if bertinspect_rename_noreplace(temporaryPath, destination) == 0 { return }
        if errno == EEXIST { throw .exists(path: destination) }
        throw OutputError.fromErrno(destination, "publishing the file under its name")
    }
}
