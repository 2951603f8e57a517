#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let code = runMain(Array(CommandLine.arguments.dropFirst()))
exit(code.rawValue)
