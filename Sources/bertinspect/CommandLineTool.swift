import BERTGraph
import BERTRuntime
import HDF5Formats
import TensorFormats

/// Every subcommand, in the order `--help` lists them.
let commands: [Command] = [
    summaryCommand, convertCommand, freezeCommand, unfreezeCommand, diffCommand, runCommand, verifyCommand, benchCommand, tokenizeCommand,
]

func usage() -> String {
    var text = """
    bertinspect \(toolVersion): inspect, convert, freeze and verify BERT checkpoints without Python.

    Usage: bertinspect <command> [options]

    Commands:

    """
    for command in commands {
        text += "  " + pad(command.name, 12) + command.abstract + "\n"
    }
    text += """

    Run 'bertinspect <command> --help' for a command's options and an example.
    Exit codes: 0 success, 1 a check found a difference, 2 usage error,
    3 input unreadable, malformed, unsafe or unsupported, 4 device unavailable,
    5 output cannot be written (exists without --force, not a regular file, no space, permission).
    """
    return text
}

/// Runs the command line and returns the process exit code; every error becomes a message and a code here.
func runMain(_ arguments: [String]) -> ExitCode {
    guard let first = arguments.first else {
        printError(usage())
        return .usage
    }
    if first == "--help" || first == "-h" || first == "help" {
        emit(usage())
        return .success
    }
    if first == "--version" {
        emit("bertinspect \(toolVersion)")
        return .success
    }
    guard let command = commands.first(where: { $0.name == first }) else {
        printError("bertinspect: unknown command '\(shown(first))'.\n\n" + usage())
        return .usage
    }
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        emit(command.help)
        return .success
    }
    do {
        return try command.run(rest)
    } catch let error as UsageError {
        printErrorLine("bertinspect \(command.name): \(error.description); see 'bertinspect \(command.name) --help'")
        return .usage
    } catch let error as DeviceUnavailable {
        printErrorLine("bertinspect \(command.name): \(error.description).")
        return .deviceUnavailable
    } catch let error as RuntimeError where error.concernsDevice {
        printErrorLine("bertinspect \(command.name): \(error.description)")
        return .deviceUnavailable
    } catch let error as OutputError {
        printErrorLine("bertinspect \(command.name): \(error.description)")
        return .outputFailed
    } catch let error as LayerSpecError {
        printErrorLine("bertinspect \(command.name): \(error.description)")
        return .usage
    } catch {
        printErrorLine("bertinspect \(command.name): \(error)")
        return .badInput
    }
}

