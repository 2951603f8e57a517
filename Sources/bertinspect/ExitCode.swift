/// The exit codes of every command, named in one place (the README lists them).
enum ExitCode: Int32 {
    /// The command did what was asked.
    case success = 0
    /// A check ran and found a difference (verify, diff).
    case checkFailed = 1
    /// The command line is wrong.
    case usage = 2
    /// An input is unreadable, malformed, unsafe or unsupported.
    case badInput = 3
    /// The requested device is unavailable.
    case deviceUnavailable = 4
    /// An output cannot be written: it exists without --force, is not a regular file, the disk is full, permission.
    case outputFailed = 5
}

/// A command-line mistake; the message is shown with the command's usage line.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
