import HDF5Formats
import TensorFormats

/// The formats every command reads, assembled here at the edge so the libraries need not know each other.
let checkpointFormats: [any CheckpointFormat] = [SafetensorsFormat(), HDF5Format(), KerasArchiveFormat(), PyTorchFormat(), ONNXFormat()]

/// The tool's version, printed by `--version` and recorded in files it writes.
let toolVersion = "0.1.0"

/// Opens an output file atomically, telling on stderr about temporary files of interrupted runs it removed.
func openOutput(_ destination: String, overwrite: Bool) throws -> AtomicFile {
    let file = try AtomicFile(destination: destination, overwrite: overwrite)
    for path in file.removedLeftovers { status("note: removed \(path), left by an interrupted run") }
    return file
}

/// Writes one error line to standard error, every control character escaped so it stays one line.
func printErrorLine(_ text: String) {
    printError(shown(text))
}

/// `-q/--quiet` was given: status lines are not printed.
nonisolated(unsafe) var quiet = false

/// Writes a status line (`device: …`, `recorded …`, notes) to standard error, unless `--quiet`.
func status(_ text: String) {
    if !quiet { printErrorLine(text) }
}

/// Writes `text` to standard error (help text; control characters other than its own line breaks escaped).
func printError(_ text: String, newline: Bool = true) {
    var stream = StandardError()
    print(escaped(text, keepingNewlines: true), terminator: newline ? "\n" : "", to: &stream)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
