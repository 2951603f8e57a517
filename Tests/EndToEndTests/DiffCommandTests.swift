import Testing
import FixtureSupport
import TensorFormats

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
