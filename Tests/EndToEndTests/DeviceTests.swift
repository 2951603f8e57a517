import Foundation
import Testing
import FixtureSupport
import TensorFormats

/// Whether this machine has an NVIDIA driver the loader can find (then `auto` may pick CUDA).
let hasCUDADriver: Bool = {
    guard let handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) else { return false }
    dlclose(handle)
    return true
}()

@Suite("--device and --tf32 on run, verify and bench")
struct DeviceTests {
    /// The three commands that run a model, on the bundled classifier.
    static let commands: [[String]] = [
        ["run", Fixtures.path("tf-seqcls"), "--text", "a wonderful movie"],
        ["verify", Fixtures.path("tf-seqcls"), "--golden", Fixtures.path("tf-seqcls/golden.json")],
        ["bench", Fixtures.path("tf-seqcls"), "--batch", "1", "--seq-len", "8", "--runs", "1"],
    ]

    @Test("without a driver, --device auto runs on the CPU silently and prints what --device cpu prints",
          .enabled(if: !hasCUDADriver, "this machine has an NVIDIA driver, so auto may choose CUDA"))
    func autoFallsBack() throws {
        for arguments in [
            ["run", Fixtures.path("tf-seqcls"), "--json", "--text", "a wonderful movie", "--text", "a dull one"],
            ["run", Fixtures.path("pt-base"), "--text", "hello world", "--output", "last_hidden_state"],
            ["verify", Fixtures.path("keras-bert-cnn-functional"), "--golden", Fixtures.path("keras-bert-cnn-functional/golden.json"), "--json"],
            ["verify", Fixtures.path("tf-pretraining"), "--golden", Fixtures.path("tf-pretraining/golden.json")],
        ] {
            let cpu = try bertinspect(arguments: arguments + ["--device", "cpu", "--threads", "1"])
            let auto = try bertinspect(arguments: arguments + ["--device", "auto", "--threads", "1"])
            let implicit = try bertinspect(arguments: arguments + ["--threads", "1"])
            #expect(cpu.code == 0, "\(arguments): \(cpu.stderr)")
            // Status lines (`device: cpu …`) go to stderr, so the two runs must print the same on both streams.
            #expect(auto.code == cpu.code && auto.stdout == cpu.stdout && auto.stderr == cpu.stderr, "\(arguments)")
            #expect(implicit.stdout == cpu.stdout, "\(arguments)")
        }
        let bench = try bertinspect(arguments: Self.commands[2] + ["--json"])
        #expect(try JSONParser.parse(bench.stdout)["device"]?.stringValue == "cpu")
    }

    @Test("without a driver, --device cuda exits 4 with one sentence saying what was looked for and where",
          .enabled(if: !hasCUDADriver, "this machine has an NVIDIA driver"), arguments: commands)
    func cudaUnavailable(arguments: [String]) throws {
        let result = try bertinspect(arguments: arguments + ["--device", "cuda"])
        #expect(result.code == 4)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("bertinspect \(arguments[0]): No CUDA device: libcuda.so.1 was not found on the loader path, "
            + "in /usr/local/cuda/lib64 or in BERTINSPECT_CUDA_LIBRARY_PATH ("))
        #expect(result.stderr.hasSuffix(").\n") && result.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test("--tf32 is refused with --device cpu and documented on every command that runs a model", arguments: commands)
    func tf32(arguments: [String]) throws {
        let refused = try bertinspect(arguments: arguments + ["--device", "cpu", "--tf32"])
        #expect(refused.code == 2)
        #expect(refused.stderr.contains("--tf32 applies to CUDA"))
        #expect(try bertinspect(arguments[0], "--help").stdout.contains("--tf32"))
    }

    @Test("the JSON of run and verify names the device and the backend")
    func backendInJSON() throws {
        let run = try JSONParser.parse(try bertinspect(arguments: Self.commands[0] + ["--json"]).stdout)
        let verify = try JSONParser.parse(try bertinspect(arguments: Self.commands[1] + ["--json"]).stdout)
        for json in [run, verify] {
            let device = try #require(json["device"]?.stringValue)
            let backend = try #require(json["backend"]?.stringValue)
            #expect(device == "cpu" ? backend.hasPrefix("CPU (OpenBLAS") : device == "cuda" && backend.hasPrefix("CUDA on "))
        }
    }
}
