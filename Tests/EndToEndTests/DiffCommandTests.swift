import Foundation
import Testing
import FixtureSupport
import TensorFormats

/// `82240` → `82,240`, as Keras prints counts.
func thousands(_ value: Int) -> String {
    let digits = Array(String(value))
    return String(digits.enumerated().flatMap { index, digit in (index > 0 && (digits.count - index) % 3 == 0) ? [",", digit] : [digit] })
}

@Suite("bertinspect diff")
struct DiffCommandTests {
    @Test("the TF and PyTorch files the frameworks wrote from the same weights are equal, across formats")
    func equalAcrossFormats() throws {
        let result = try bertinspect("diff", Fixtures.path("tf-seqcls"), Fixtures.path("pt-seqcls"))
        #expect(result.code == 0, "\(result.stdout)")
        let stored = try #require(try Fixtures.reference("tf-seqcls")["stored_tensors"]?.intValue)
        #expect(result.stdout.contains("All \(stored) tensors equal within atol 0.0."))
    }

    @Test("different weights exit 1 and are rolled up per module")
    func differs() throws {
        let result = try bertinspect("diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-seqcls-fresh"), "--json")
        #expect(result.code == 1)
        let json = try JSONParser.parse(result.stdout)
        #expect(json["schema"] == .string("bertinspect.diff/1"))
        let groups = try #require(json["groups"]?.arrayValue)
        #expect(groups.compactMap { $0["name"]?.stringValue } == ["bert.embeddings", "bert.encoder", "bert.pooler", "classifier"])
        #expect(groups.allSatisfy { $0["status"] == .string("changed") })
    }

    @Test("f16 narrowing stays within its rounding error, and not within 0")
    func tolerance() throws {
        #expect(try bertinspect("diff", Fixtures.path("pt-seqcls"), Fixtures.path("pt-f16"), "--atol", "1e-3").code == 0)
        #expect(try bertinspect("diff", Fixtures.path("pt-seqcls"), Fixtures.path("pt-f16")).code == 1)
    }

    @Test("tensors on one side only are reported and fail the check")
    func onlyOnOneSide() throws {
        let result = try bertinspect("diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-base"))
        #expect(result.code == 1)
        #expect(result.stdout.contains("Only in A: classifier.weight, classifier.bias"))
    }
}

@Suite("diff after a freeze-then-fine-tune run (tf_model.h5 before, PyTorch safetensors after)")
struct FrozenDiffTests {
    static let reference: JSONValue? = (try? Fixtures.reference("finetune-frozen"))?["entries"]

    /// `before/` frozen by bertinspect itself (its own record), in a temporary folder.
    func frozenBefore(_ spec: String) throws -> String {
        let out = try temporaryFolder()
        let result = try bertinspect("freeze", Fixtures.path("finetune-frozen/before"), "--layers", spec, "-o", out + "/tf_model.h5")
        #expect(result.code == 0, "\(result.stderr)")
        return out + "/tf_model.h5"
    }

    @Test("the per-layer roll-up gives PyTorch's counts and relative changes",
          arguments: ["after-frozen-bert", "after-frozen-partial", "after-unfrozen"])
    func rollUp(entry: String) throws {
        let expected = try #require(Self.reference?[entry]?["layers"]?.arrayValue)
        let result = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/" + entry), "--json")
        #expect(result.code == 1)
        let layers = try #require(try JSONParser.parse(result.stdout)["layers"]?.arrayValue)
        #expect(layers.compactMap { $0["name"]?.stringValue } == expected.compactMap { $0["name"]?.stringValue })
        for (row, want) in zip(layers, expected) {
            let name = row["name"]?.stringValue ?? ""
            #expect(row["changed"]?.intValue == want["changed"]?.intValue, "\(entry) \(name)")
            #expect(row["parameters"]?.intValue == want["parameters"]?.intValue, "\(entry) \(name)")
            let change = try #require(row["relative_change"]?.doubleValue, "\(entry) \(name)")
            let wanted = try #require(want["relative_l2"]?.doubleValue)
            #expect(abs(change - wanted) <= 1e-6 * max(1, wanted), "\(entry) \(name): \(change) vs \(wanted)")
            // Bars are drawn for every row; unchanged rows show a dot.
        }
        // Per tensor too: the relative change ‖after − before‖ / ‖before‖ PyTorch computed.
        let tensors = try #require(try JSONParser.parse(result.stdout)["tensors"]?.arrayValue)
        let wantedTensors = try #require(Self.reference?[entry]?["tensors"]?.arrayValue)
        #expect(tensors.count == wantedTensors.count)
        for want in wantedTensors {
            let row = try #require(tensors.first { $0["name"] == want["name"] })
            let change = try #require(row["relative_change"]?.doubleValue)
            let wanted = try #require(want["relative_l2"]?.doubleValue)
            #expect(abs(change - wanted) <= 1e-6 * max(1, wanted), "\(entry) \(want["name"]?.stringValue ?? ""): \(change) vs \(wanted)")
            #expect(row["differs"] == want["changed"])
        }
        let text = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/" + entry), "--by", "module", "--ascii")
        let modules = try #require(Self.reference?[entry]?["modules"]?.arrayValue)
        for module in modules {
            let name = module["name"]?.stringValue ?? ""
            let line = text.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            #expect(line != nil, "\(entry): no row for \(name)")
            #expect(line.map { $0.contains("\(module["changed"]?.intValue ?? -1)/\(module["tensors"]?.intValue ?? -1)") } == true, "\(String(line ?? ""))")
        }
        #expect(!text.stdout.contains("█"))
    }

    @Test("--check-frozen: bert frozen by bertinspect's record held through a PyTorch fine-tune (exit 0, named)")
    func frozenHeld() throws {
        let before = try frozenBefore("bert")
        let result = try bertinspect("diff", before, Fixtures.path("finetune-frozen/after-frozen-bert"), "--check-frozen")
        #expect(result.code == 0, "\(result.stdout)\(result.stderr)")
        let bert = try #require(Self.reference?["after-frozen-bert"]?["total_parameters"]?.intValue)
            - (Self.reference?["after-frozen-bert"]?["trainable_parameters"]?.intValue ?? 0)
        #expect(result.stdout.contains("Frozen check: bert (\(thousands(bert)) parameters) unchanged, as frozen."), "\(result.stdout)")
        let json = try JSONParser.parse(try bertinspect("diff", before, Fixtures.path("finetune-frozen/after-frozen-bert"), "--check-frozen", "--json").stdout)
        #expect(json["frozen_check"]?["holds"] == .bool(true))
        #expect(json["frozen_check"]?["parameters"]?.intValue == bert)
    }

    @Test("--check-frozen with --frozen SPEC, for a before-file that records nothing; partial freezing too",
          arguments: [("after-frozen-bert", "bert", true), ("after-frozen-partial", "bert.embeddings,bert.encoder.layer.0", true),
                      ("after-frozen-partial", "bert", false), ("after-unfrozen", "bert", false)])
    func frozenGiven(entry: String, spec: String, holds: Bool) throws {
        let result = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/" + entry),
                                     "--check-frozen", "--frozen", spec, "--json")
        #expect(result.code == (holds ? 0 : 1), "\(entry) \(spec)")
        let check = try #require(try JSONParser.parse(result.stdout)["frozen_check"])
        #expect(check["holds"] == .bool(holds))
        // The layers named as moved are exactly the frozen ones PyTorch changed.
        let tensors = try #require(Self.reference?[entry]?["tensors"]?.arrayValue)
        let prefixes = spec.split(separator: ",").map(String.init)
        let moved = Set(tensors.filter { t in
            let name = t["name"]?.stringValue ?? ""
            return t["changed"] == .bool(true) && prefixes.contains { name.hasPrefix($0 + ".") }
        }.compactMap { t -> String? in
            let parts = (t["name"]?.stringValue ?? "").split(separator: ".")
            return parts.count > 4 && parts[1] == "encoder" ? parts[0...3].joined(separator: ".") : parts[0...1].joined(separator: ".")
        })
        #expect(Set(check["changed_layers"]?.arrayValue?.compactMap(\.stringValue) ?? []) == moved)
        if !holds {
            let text = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/" + entry), "--check-frozen", "--frozen", spec)
            #expect(text.code == 1)
            #expect(text.stdout.contains("Frozen check FAILED: \(spec.replacingOccurrences(of: ",", with: ", "))"), "\(text.stdout)")
        }
    }

    @Test("--check-frozen on two files that record no frozen state asks for --frozen (exit 2)")
    func nothingRecorded() throws {
        let (a, b) = (Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/after-frozen-bert"))
        let result = try bertinspect("diff", a, b, "--check-frozen")
        #expect(result.code == 2)
        #expect(result.stderr == "bertinspect diff: neither \(a) nor \(b) records frozen layers (these formats store none); say which were frozen with --frozen SPEC, e.g. --frozen bert; see 'bertinspect diff --help'\n")
    }

    @Test("--check-frozen uses B's record when A has none (the fine-tuned file saved with its flags)",
          arguments: [("after-frozen-bert", true), ("after-unfrozen", false)])
    func frozenRecordedInB(entry: String, holds: Bool) throws {
        // B: the fine-tuned weights PyTorch wrote, with bert recorded as frozen (as a Keras save after
        // bert.trainable = False records it); A: the pretrained file, which records nothing.
        let work = try temporaryFolder()
        let b = work + "/after.safetensors"
        #expect(try bertinspect("freeze", Fixtures.path("finetune-frozen/\(entry)/model.safetensors"), "--layers", "bert", "-o", b).code == 0)
        let a = Fixtures.path("finetune-frozen/before")
        let result = try bertinspect("diff", a, b, "--check-frozen", "--json")
        #expect(result.code == (holds ? 0 : 1), "\(result.stderr)")
        #expect(result.stderr == "note: \(a) records no frozen state; \(b)'s record is used (frozen: bert)\n")
        let check = try #require(try JSONParser.parse(result.stdout)["frozen_check"])
        #expect(check["holds"] == .bool(holds))
        #expect(check["state_from_b"] == .bool(true))
        // The layers named as moved are the bert layers PyTorch changed in training.
        let tensors = try #require(Self.reference?[entry]?["tensors"]?.arrayValue)
        let moved = Set(tensors.filter { $0["changed"] == .bool(true) && ($0["name"]?.stringValue ?? "").hasPrefix("bert.") }.compactMap { t -> String? in
            let parts = (t["name"]?.stringValue ?? "").split(separator: ".")
            return parts.count > 4 && parts[1] == "encoder" ? parts[0...3].joined(separator: ".") : parts[0...1].joined(separator: ".")
        })
        #expect(Set(check["changed_layers"]?.arrayValue?.compactMap(\.stringValue) ?? []) == moved)
        #expect(moved.isEmpty == holds)
        if !holds {
            let text = try bertinspect("diff", a, b, "--check-frozen")
            #expect(text.stdout.contains("Frozen check FAILED: bert ("), "\(text.stdout)")
            #expect(text.stdout.contains(") frozen in B's record, but "), "\(text.stdout)")
        }
    }

    @Test("--top N keeps the N rows that moved most, most first")
    func top() throws {
        let result = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/after-unfrozen"), "--top", "2", "--json")
        let expected = try #require(Self.reference?["after-unfrozen"]?["layers"]?.arrayValue)
        let largest = expected.sorted { ($0["relative_l2"]?.doubleValue ?? 0) > ($1["relative_l2"]?.doubleValue ?? 0) }.prefix(2).compactMap { $0["name"]?.stringValue }
        let text = try bertinspect("diff", Fixtures.path("finetune-frozen/before"), Fixtures.path("finetune-frozen/after-unfrozen"), "--top", "2")
        let rows = text.stdout.split(separator: "\n").filter { line in expected.contains { line.hasPrefix(($0["name"]?.stringValue ?? "-") + " ") } }
        #expect(rows.map { String($0.split(separator: " ")[0]) } == largest)
        #expect(result.code == 1)
    }

    @Test("negative cosines print with their sign (was '0.-19299')")
    func negativeCosine() throws {
        let result = try bertinspect("diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-seqcls-fresh"))
        #expect(!result.stdout.contains("0.-") && !result.stdout.contains(" -."), "\(result.stdout)")
        #expect(result.stdout.contains("cosine -0."))
    }
}

@Suite("diff --check-frozen on a Keras full model's own trainable flags")
struct KerasFlagsFrozenTests {
    @Test("a Keras model.save with bert.trainable = False: the flags are A's frozen state, named by layer")
    func kerasFlags() throws {
        let reference = try Fixtures.reference("keras-full")
        let frozen = try #require(reference["parameters"]?["non_trainable"]?.intValue)
        let result = try bertinspect("diff", Fixtures.path("keras-full"), Fixtures.path("keras-full"), "--check-frozen")
        #expect(result.code == 0)
        #expect(result.stdout.contains("Frozen check: bert (\(thousands(frozen)) parameters) unchanged, as frozen."), "\(result.stdout)")
    }

    @Test("a head on one side only appears in the roll-up, counted in only_in_a")
    func oneSideOnly() throws {
        let result = try bertinspect("diff", Fixtures.path("tf-seqcls"), Fixtures.path("tf-base"), "--json")
        #expect(result.code == 1)
        let layers = try #require(try JSONParser.parse(result.stdout)["layers"]?.arrayValue)
        let classifier = try #require(layers.first { $0["name"] == .string("classifier") })
        #expect(classifier["only_in_a"]?.intValue == 2 && classifier["tensors"]?.intValue == 0)
        #expect(classifier["relative_change"] == .null && classifier["note"] == .string("tensors on one side only"))
    }
}
