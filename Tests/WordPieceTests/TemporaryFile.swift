import Foundation

/// A file in a fresh temporary directory, removed with the directory when released.
final class TemporaryFile {
    let directory: URL
    let path: String

    init(named name: String = "vocab.txt", bytes: [UInt8]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    convenience init(lines: [String]) throws {
        try self.init(bytes: Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}
