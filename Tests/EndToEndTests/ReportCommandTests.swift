import Foundation
import Testing
import FixtureSupport
import TensorFormats

@Suite("bertinspect stats")
struct StatsCommandTests {
    static let reference: JSONValue? = try? MappedFile.withContents(of: Fixtures.path("stats-reference.json")) { try JSONParser.parse($0) }

    @Test("per-tensor mean, std, min, max, zeros, NaN/Inf and histogram equal numpy's", arguments: ["pt-seqcls", "tf-seqcls-fresh", "pt-bf16"])
    func equalsNumpy(fixture: String) throws {
        let expected = try #require(Self.reference?["fixtures"]?[fixture]?["tensors"])
        let result = try bertinspect("stats", Fixtures.path(fixture), "--json")
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        #expect(json["schema"] == .string("bertinspect.stats/1"))
        let tensors = try #require(json["tensors"]?.arrayValue)
        #expect(tensors.count == expected.objectValue?.count)
        for tensor in tensors {
            let name = try #require(tensor["stored_name"]?.stringValue)
            let want = try #require(expected[name], "\(fixture): \(name) not in numpy's reference")
            for field in ["mean", "std", "min", "max"] {
                let got = try #require(tensor[field]?.doubleValue), wanted = try #require(want[field]?.doubleValue)
                #expect(abs(got - wanted) <= 1e-6 * max(1, abs(wanted)) + 1e-9, "\(fixture) \(name) \(field): \(got) vs \(wanted)")
            }
            for field in ["count", "zeros", "nan", "inf"] { #expect(tensor[field]?.intValue == want[field]?.intValue, "\(fixture) \(name) \(field)") }
            // Bin edges are computed the same way; a value exactly on an edge may land one bin over.
            let got = tensor["histogram"]?.arrayValue?.compactMap(\.intValue) ?? []
            let wanted = want["histogram"]?.arrayValue?.compactMap(\.intValue) ?? []
            #expect(got.count == 16 && got.reduce(0, +) == wanted.reduce(0, +), "\(fixture) \(name)")
            #expect(zip(got, wanted).map { abs($0 - $1) }.reduce(0, +) <= 2, "\(fixture) \(name): \(got) vs \(wanted)")
        }
    }

    @Test("a head left as initialised is found; a trained one is not")
    func freshHead() throws {
        let fresh = try JSONParser.parse(try bertinspect("stats", Fixtures.path("tf-seqcls-fresh"), "--json").stdout)
        #expect(fresh["findings"]?.arrayValue?.contains { $0["kind"] == .string("fresh_head") && $0["subject"] == .string("classifier") } == true)
        let trained = try JSONParser.parse(try bertinspect("stats", Fixtures.path("tf-seqcls"), "--json").stdout)
        #expect(trained["findings"]?.arrayValue?.contains { $0["kind"] == .string("fresh_head") } == false)
        let text = try bertinspect("stats", Fixtures.path("tf-seqcls-fresh"))
        #expect(text.stdout.contains("classifier looks freshly initialised"), "\(text.stdout)")
    }
}

@Suite("bertinspect report")
struct ReportCommandTests {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("one self-contained HTML file: the diagram has one block per encoder layer, every tensor a histogram")
    func model() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for fixture in ["tf-seqcls", "keras-bert-cnn-functional", "pt-pretraining"] {
            let path = out + "/\(fixture).html"
            let result = try bertinspect("report", Fixtures.path(fixture), "-o", path)
            #expect(result.code == 0, "\(result.stderr)")
            let html = try String(contentsOfFile: path, encoding: .utf8)
            let reference = try Fixtures.reference(fixture)
            let layers = try #require(reference["config"]?["num_hidden_layers"]?.intValue)
            #expect(count("data-kind=\"encoder-layer\"", in: html) == layers, "\(fixture)")
            let stats = try JSONParser.parse(try bertinspect("stats", Fixtures.path(fixture), "--json").stdout)
            #expect(count("<svg class=\"histogram\"", in: html) == stats["tensors"]?.arrayValue?.count)
            #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
            #expect(html.utf8.count < 1_000_000)
            #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        }
    }

    @Test("with B: a chart row per layer, the heatmap, and the frozen verdict")
    func diff() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let path = out + "/diff.html"
        let result = try bertinspect("report", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/after-frozen-partial"),
                                     "--frozen", "bert.embeddings,bert.encoder.layer.0", "-o", path)
        #expect(result.code == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let rows = try #require((try Fixtures.reference("finetune-frozen"))["entries"]?["after-frozen-partial"]?["layers"]?.arrayValue)
        #expect(count("<g class=\"diff-row\"", in: html) == rows.count)
        #expect(count("<rect class=\"cell\"", in: html) == 2 * 7)
        #expect(html.contains("Frozen check: bert.embeddings, bert.encoder.layer.0 (73,680 parameters) unchanged, as frozen."))
        // An existing OUT is not overwritten without --force (exit 5), and is with it.
        let again = try bertinspect("report", Fixtures.path("tf-seqcls"), "-o", path)
        #expect(again.code == 5)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == html)
        #expect(try bertinspect("report", Fixtures.path("tf-seqcls"), "-o", path, "--force").code == 0)
    }

    @Test("headless Chromium renders the reports without console errors (skipped when Chromium is not installed)")
    func browser() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: chromium is not installed (apt-get install chromium; make report-check installs it)")
            return
        }
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let path = out + "/diff.html"
        #expect(try bertinspect("report", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/after-unfrozen"), "--frozen", "bert", "-o", path).code == 0)
        // A fresh profile per run, and no name resolution: the page must need no network, and Chromium's own update
        // pings must not leave the machine.
        let result = try runProgram(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                               "--user-data-dir=" + out + "/profile", "--host-resolver-rules=MAP * ~NOTFOUND",
                                               "--no-first-run", "--disable-extensions", "--dump-dom", "file://" + path], folder: out)
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stdout.contains("class=\"model-diagram\"") && result.stdout.contains("class=\"diff-heatmap\""))
        #expect(count("class=\"diff-row\"", in: result.stdout) == 5)
        let consoleErrors = result.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
    }
}

/// Runs a program to completion (killed after `timeout` seconds), its output captured through files in `folder`.
func runProgram(_ executable: String, _ arguments: [String], folder: String, timeout: TimeInterval = 120) throws -> (code: Int32, stdout: String, stderr: String) {
    let outPath = folder + "/program.out", errPath = folder + "/program.err"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "", (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
