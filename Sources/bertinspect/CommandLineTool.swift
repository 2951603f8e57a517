#if canImport(Glibc)
import Glibc
#endif
import BERTGraph
import BERTRuntime
import HDF5Formats
import TensorFormats

/// Every subcommand, in the order `--help` lists them.
let commands: [Command] = [
    summaryCommand, convertCommand, freezeCommand, unfreezeCommand, diffCommand, statsCommand, reportCommand, runCommand, evalCommand, verifyCommand, benchCommand,
    tokenizeCommand, completionsCommand,
]

/// The command called `name`, initialising only its own description (`commands` builds all of them). A switch, not a
/// table of closures beside `commands`: such a table cost `summary` about 20 more page faults (0.2 ms) at start. The
/// command-lookup test checks that every listed command resolves here.
func command(named name: String) -> Command? {
    switch name {
    case "summary": return summaryCommand
    case "convert": return convertCommand
    case "freeze": return freezeCommand
    case "unfreeze": return unfreezeCommand
    case "diff": return diffCommand
    case "stats": return statsCommand
    case "report": return reportCommand
    case "run": return runCommand
    case "eval": return evalCommand
    case "verify": return verifyCommand
    case "bench": return benchCommand
    case "tokenize": return tokenizeCommand
    case "completions": return completionsCommand
    default: return nil
    }
}

/// The exit codes, as help, README and the man page list them.
let exitCodeLines = [
    ("0", "success"), ("1", "a check ran and found a difference (verify, diff)"), ("2", "usage error"),
    ("3", "an input is unreadable, malformed, unsafe or unsupported"), ("4", "the requested device is unavailable"),
    ("5", "an output cannot be written (exists without --force, not a regular file, no space, permission)"),
]

func usage() -> String {
    var text = """
    bertinspect \(toolVersion): inspect, convert, freeze and verify BERT checkpoints without Python.

    Usage: bertinspect <command> [options]
           bertinspect help <command> | --help | --version

    Commands:

    """
    for command in commands {
        text += "  " + pad(command.name, 12) + command.abstract + "\n"
    }
    text += "\nRun 'bertinspect <command> --help' for a command's options and examples.\nExit codes:\n"
    for (code, meaning) in exitCodeLines { text += "  \(code)  \(meaning)\n" }
    return text
}

/// Runs the command line and returns the process exit code; every error becomes a message and a code here.
func runMain(_ arguments: [String]) -> ExitCode {
    guard let first = arguments.first else {
        printError(usage(), newline: false)
        return .usage
    }
    switch first {
    case "--help", "-h":
        emit(usage(), terminator: "")
        return .success
    case "--version", "-V", "version":
        emit("bertinspect \(toolVersion)")
        return .success
    case "help":
        guard arguments.count > 1 else {
            emit(usage(), terminator: "")
            return .success
        }
        guard let command = command(named: arguments[1]) else { return unknownCommand(arguments[1]) }
        emit(command.help, terminator: "")
        return .success
    default:
        break
    }
    guard let command = command(named: first) else { return unknownCommand(first) }
    do {
        let parsed = try ParsedArguments(Array(arguments.dropFirst()), for: command)
        if parsed.wantsHelp {
            emit(command.help, terminator: "")
            return .success
        }
        quiet = parsed.has("--quiet")
        return try command.run(parsed)
    } catch let error as UsageError {
        printErrorLine("bertinspect \(command.name): \(error.description); see 'bertinspect \(command.name) --help'")
        return .usage
    } catch let error as RuntimeError where error.concernsDevice {
        printErrorLine("bertinspect \(command.name): \(error.description)")
        return .deviceUnavailable
    } catch let error as OutputError {
        printErrorLine("bertinspect \(command.name): \(error.description)")
        return .outputFailed
    } catch let error as SummaryFailed {
        return error.first is OutputError ? .outputFailed : .badInput
    } catch let error as GraphError where error.isUnknownLayer {
        printErrorLine("bertinspect \(command.name): \(error.description); see 'bertinspect \(command.name) --help'")
        return .usage
    } catch {
        printErrorLine("bertinspect \(command.name): \(error)")
        return .badInput
    }
}

/// Values the process keeps until it exits instead of releasing them: the last summary's checkpoint, model and summary.
/// Tearing down a few hundred tensor records, their names and the file mappings one by one costs about 0.2 ms of a 4 ms
/// summary; at exit the kernel frees the memory and unmaps the files at once. Only for read-only work: nothing is left
/// to flush, and libhdf5 runs no exit handler that could touch a file left open (see `HDF5Library`).
nonisolated(unsafe) private var keptUntilExit: [Any] = []

func keepUntilExit(_ value: Any) { keptUntilExit.append(value) }

/// An unknown command: one line, with the closest command when there is one.
func unknownCommand(_ name: String) -> ExitCode {
    let hint = closest(to: name, among: commands.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
    printErrorLine("bertinspect: unknown command '\(name)'\(hint); see 'bertinspect --help'")
    return .usage
}
