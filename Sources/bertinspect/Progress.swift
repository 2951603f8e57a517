#if canImport(Glibc)
import Glibc
#endif

/// Progress on standard error, shown only on a terminal and only once a job has run for a second.
final class Progress {
    private let label: String
    private let total: Int
    private var done = 0
    private let start = monotonicSeconds()
    private var shown = false
    private let enabled = isatty(2) != 0

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    /// Counts one finished item.
    func update() {
        done += 1
        guard enabled, monotonicSeconds() - start > 1 else { return }
        shown = true
        printError("\r\(label): \(done)/\(total) tensors", newline: false)
    }

    /// Ends the progress line, if one was shown.
    func finish() {
        if shown { printError("") }
    }
}
