internal import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only into memory; unmapped when released.
///
/// Mapping never reads the file eagerly: a summary of a 440 MB checkpoint touches only the header pages. The mapping is
/// registered with the fault guard: if another process truncates the file while it is read, the access past the new
/// end (SIGBUS) ends the process with exit code 3 and one line naming the file, and no temporary output is left.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The mapped bytes; empty for an empty file.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?
    private let guardSlot: Int32

    /// Maps `path` read-only; anything but a regular file is refused without blocking (see `InputFile`).
    /// With `copyOnWrite`, the pages are also writable, but privately: a write copies the page and never reaches the
    /// file (for a library that wants a mutable pointer to memory it only reads).
    public init(path: String, copyOnWrite: Bool = false) throws(TensorFormatError) {
        self.path = path
        InputFile.installFaultGuard()
        let opened = try InputFile.open(path)
        defer { close(opened.descriptor) }
        let size = opened.size
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            guardSlot = -1
            self.copyOnWrite = copyOnWrite
            return
        }
        let protection = copyOnWrite ? PROT_READ | PROT_WRITE : PROT_READ
        guard let pointer = mmap(nil, size, protection, MAP_PRIVATE, opened.descriptor, 0), pointer != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: systemError())
        }
        base = pointer
        bytes = UnsafeRawBufferPointer(start: pointer, count: size)
        guardSlot = bertinspect_register_mapping(pointer, size, path)
        self.copyOnWrite = copyOnWrite
    }

    /// Whether the pages are privately writable (see `init(path:copyOnWrite:)`).
    public let copyOnWrite: Bool

    /// The bytes of `range` as private, copy-on-write memory; nil unless mapped with `copyOnWrite`.
    public func privateBytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer? {
        guard copyOnWrite, let base, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    deinit {
        bertinspect_unregister_mapping(guardSlot)
        if let base { munmap(base, bytes.count) }
    }

    public var count: Int { bytes.count }

    /// Calls `body` with the mapped bytes, keeping the mapping alive until it returns. Use this rather than `bytes`
    /// on a file held only by a local: Swift may release a local after its last use, unmapping the bytes early.
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in try body(bytes) }
    }

    /// Maps `path` and calls `body` with its bytes.
    public static func withContents<R>(of path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try MappedFile(path: path).withBytes(body)
    }

    /// Drops the pages of `range` from this process's memory (they stay in the page cache and are read back on the
    /// next access), so streaming a large file tensor by tensor keeps the resident set small.
    public func discardPages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min((range.upperBound + page - 1) / page * page, bytes.count)
        guard end > start else { return }
        madvise(base + start, end - start, Int32(MADV_DONTNEED))
    }

    /// SHA-256 of the whole file, read in chunks whose pages are dropped once hashed.
    public func sha256() -> String {
        var hash = SHA256()
        let chunk = 32 << 20
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            hash.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            discardPages(offset..<end)
            offset = end
        }
        return hash.finalize()
    }
}
