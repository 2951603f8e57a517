import Foundation
import FixtureSupport
import Testing
import TensorFormats

/// Keras 3 `.keras` archives through the command line: what Keras 3 wrote (tools/make_keras_archive_fixtures.py) and
/// archives rewritten with Python's zipfile to break one rule each.
@Suite("Keras 3 .keras from the command line")
struct KerasArchiveCommandTests {
    static let archives = Fixtures.path("keras3-archive/")
    static let hostile = Fixtures.path("keras3-archive-hostile/")

    @Test("summary names the format, the class config.json records and Keras' own trainable counts")
    func summary() throws {
        let reference = try Fixtures.reference("keras3-archive")
        let result = try bertinspect(arguments: ["summary", Self.archives + "frozen.keras", "--json"])
        #expect(result.code == 0, "\(result.stderr)")
        let json = try JSONParser.parse(result.stdout)
        let keras = try #require(reference["archives"]?["frozen.keras"]?["parameters"])
        #expect(json["parameters"]?["trainable"]?.intValue == keras["trainable"]?.intValue)
        #expect(json["parameters"]?["non_trainable"]?.intValue == keras["non_trainable"]?.intValue)
        #expect(json["parameters"]?["total"]?.intValue == keras["total"]?.intValue)
        let text = try bertinspect(arguments: ["summary", Self.archives + "frozen.keras"]).stdout
        #expect(text.contains("Format:        Keras 3 .keras (zip)"), "\(text)")
        #expect(text.contains("Architecture:  \(try #require(reference["archives"]?["frozen.keras"]?["config"]?["class_name"]?.stringValue)) "), "\(text)")
    }

    @Test("a re-zipped (deflated) archive is inflated, checked against its CRC-32 and equal to the original")
    func deflated() throws {
        let result = try bertinspect(arguments: ["diff", Self.hostile + "deflated.keras", Self.archives + "functional.keras"])
        #expect(result.code == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("All 11 tensors equal within atol 0.0."))
    }

    @Test("converted to safetensors and back to .weights.h5, every tensor equals the archive's")
    func convertRoundTrip() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try bertinspect(arguments: ["convert", Self.archives + "functional.keras", "--to", "safetensors", "-o", out + "/m.safetensors", "-q"]).code == 0)
        #expect(try bertinspect(arguments: ["convert", out + "/m.safetensors", "--to", "h5", "-o", out + "/back.weights.h5", "-q"]).code == 0)
        for copy in [out + "/m.safetensors", out + "/back.weights.h5"] {
            let diff = try bertinspect(arguments: ["diff", Self.archives + "functional.keras", copy])
            #expect(diff.code == 0, "\(copy): \(diff.stdout)")
        }
    }

    @Test("hostile archives exit 3 with one line naming the file and the rule", arguments: [
        ("no-weights.keras", "this Keras archive holds no model.weights.h5 (its members: metadata.json, config.json)"),
        ("traversal.keras", "member '../evil.txt' contains '..'"),
        ("truncated.keras", "no end-of-central-directory record (truncated or not a zip)"),
        ("bomb.keras", "member 'model.weights.h5' claims to inflate"),
        ("bad-crc.keras", "member 'model.weights.h5' fails its CRC-32 check"),
        ("lambda.keras", "its configuration also holds Python code (Lambda layer 'scale'), which bertinspect never runs"),
    ])
    func hostileArchives(name: String, phrase: String) throws {
        let cases = try #require(try Fixtures.reference("keras3-archive-hostile")["cases"]?.arrayValue)
        #expect(cases.contains { $0["file"]?.stringValue == name }, "reference.json describes \(name)")
        let result = try bertinspect(arguments: ["summary", Self.hostile + name])
        #expect(result.code == 3)
        #expect(result.stderr.hasPrefix("bertinspect summary: \(Self.hostile + name): "), "\(result.stderr)")
        #expect(result.stderr.contains(phrase), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// The `trainable` flag of each layer in the config.json of the archive at `path`.
    static func configFlags(_ path: String) throws -> [String: Bool] {
        let file = try MappedFile(path: path)
        return try file.withBytes { bytes in
            let archive = try ZipArchive(bytes, path: path)
            guard let member = archive.member(named: "config.json") else { throw TensorFormatError.invalidArchive(path: path, reason: "no config.json") }
            let config = try JSONParser.parse(try archive.storedData(of: member, in: bytes))
            var flags: [String: Bool] = [:]
            for layer in config["config"]?["layers"]?.arrayValue ?? [] {
                if let name = layer["config"]?["name"]?.stringValue, let flag = layer["config"]?["trainable"]?.boolValue { flags[name] = flag }
            }
            return flags
        }
    }

    @Test("freeze writes config.json's trainable flags as Keras does for the same layers (named as Keras names them); the weights stay byte for byte")
    func freezeArchive() throws {
        let reference = try Fixtures.reference("keras3-archive")
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let frozenLayers = try #require(reference["archives"]?["frozen.keras"]?["frozen_layers"]?.arrayValue)
        let frozenByKeras = frozenLayers.compactMap(\.stringValue)
        let result = try bertinspect(arguments: ["freeze", Self.archives + "functional.keras", "--layers", frozenByKeras.joined(separator: ","),
                                                 "-o", out + "/frozen.keras"])
        #expect(result.code == 0, "\(result.stderr)")
        var want: [String: Bool] = [:]
        for layer in reference["archives"]?["frozen.keras"]?["config_layers"]?.arrayValue ?? [] {
            if let name = layer["name"]?.stringValue, let flag = layer["trainable"]?.boolValue { want[name] = flag }
        }
        #expect(try Self.configFlags(out + "/frozen.keras") == want)
        let keras = try #require(reference["archives"]?["frozen.keras"]?["parameters"])
        let summary = try JSONParser.parse(try bertinspect(arguments: ["summary", out + "/frozen.keras", "--json"]).stdout)
        #expect(summary["parameters"]?["trainable"]?.intValue == keras["trainable"]?.intValue)
        #expect(summary["parameters"]?["non_trainable"]?.intValue == keras["non_trainable"]?.intValue)
        #expect(try bertinspect(arguments: ["diff", out + "/frozen.keras", Self.archives + "frozen.keras"]).code == 0)

        // A subclassed model's config lists no layers: nothing to flag, so freeze refuses and writes nothing.
        let subclassed = try bertinspect(arguments: ["freeze", Self.archives + "subclassed.keras", "--layers", "embedding", "-o", out + "/s.keras"])
        #expect(subclassed.code == 3 && subclassed.stderr.contains("its config.json lists no layers"), "\(subclassed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/s.keras"))
    }

    @Test("--to keras rebuilds a .keras archive from a safetensors copy of one: Keras' flags and weights come back")
    func convertToKeras() throws {
        let reference = try Fixtures.reference("keras3-archive")
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try bertinspect(arguments: ["convert", Self.archives + "frozen.keras", "--to", "safetensors", "-o", out + "/m.safetensors", "-q"]).code == 0)
        let result = try bertinspect(arguments: ["convert", out + "/m.safetensors", "--to", "keras", "-o", out + "/back.keras"])
        #expect(result.code == 0, "\(result.stderr)")
        var want: [String: Bool] = [:]
        for layer in reference["archives"]?["frozen.keras"]?["config_layers"]?.arrayValue ?? [] {
            if let name = layer["name"]?.stringValue, let flag = layer["trainable"]?.boolValue { want[name] = flag }
        }
        #expect(try Self.configFlags(out + "/back.keras") == want)
        #expect(try bertinspect(arguments: ["diff", out + "/back.keras", Self.archives + "frozen.keras"]).code == 0)
        // No Keras 3 configuration to rebuild from: refused, nothing written.
        let bare = try bertinspect(arguments: ["convert", Fixtures.path("keras3/model.weights.h5"), "--to", "keras", "-o", out + "/bare.keras"])
        #expect(bare.code == 3 && bare.stderr.contains("--to keras needs the model's Keras 3 config.json"), "\(bare.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/bare.keras"))
    }
}
