#if canImport(Glibc)
import Glibc
#endif
import TensorFormats

/// Progress on standard error, shown only on a terminal, never with `--quiet`, and only once a job has run for a
/// second: done / total when the total is known, the rate, and the time left.
final class Progress {
    private let label: String
    private let total: Int?
    private let unit: String
    private var done = 0
    private let start = monotonicSeconds()
    private var lastShown = 0.0
    private var shown = false
    private let enabled = isatty(2) != 0 && !quiet

    init(label: String, total: Int?, unit: String = "tensors") {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Counts one finished item.
    func update() { advance(1) }

    /// Counts `count` finished items.
    func advance(_ count: Int) {
        done += count
        let now = monotonicSeconds()
        let elapsed = now - start
        guard enabled, elapsed > 1, now - lastShown > 0.1 || done == total else { return }
        lastShown = now
        shown = true
        let rate = Double(done) / elapsed
        var line = "\r\(label): " + (total.map { "\(done)/\($0) \(unit)" } ?? "\(done) \(unit)") + ", \(significant(rate))/s"
        if let total, rate > 0, total > done { line += ", about \(Int((Double(total - done) / rate).rounded()))s left" }
        // Written as is: the carriage return must reach the terminal (printError escapes control characters), and
        // the line holds only this label and numbers.
        Self.write(line + "   ")
    }

    /// Writes `text` to standard error unescaped and unbuffered.
    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }

    /// Ends the progress line, if one was shown.
    func finish() {
        if shown { Self.write("\n") }
        shown = false
    }
}
