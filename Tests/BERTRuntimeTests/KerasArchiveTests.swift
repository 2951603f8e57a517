import BERTGraph
import BERTRuntime
import FixtureSupport
import HDF5Formats
import Testing
import TensorFormats

/// Keras 3 `.keras` archives written by Keras 3.15 itself (tools/make_keras_archive_fixtures.py).
@Suite("Keras 3 .keras archives")
struct KerasArchiveTests {
    static let reference: JSONValue? = try? Fixtures.reference("keras3-archive")
    static let archives = ["subclassed.keras", "functional.keras", "frozen.keras"]

    @Test("each archive gives model.predict's sigmoid outputs", arguments: archives)
    func predictions(name: String) throws {
        let (model, pass) = try cpuPass("keras3-archive/" + name)
        #expect(model.architecture == .kerasCNN)
        let ids = try #require(integerRows(Self.reference?["input_ids"]))
        let expected = flatten(try #require(Self.reference?["archives"]?[name]?["predictions"]))
        let logits = try #require(try pass.run(EncoderInput(inputIDs: ids)).logits)
        #expect(logits.values.count == expected.count)
        for (actual, wanted) in zip(logits.values, expected) {
            #expect(abs(Double(actual) - wanted) <= 1e-5, "\(name): \(actual) vs \(wanted)")
        }
    }

    @Test("every weight is read in place, bit for bit what Keras stored (SHA-256 of each dataset)", arguments: archives)
    func weights(name: String) throws {
        let store = try KerasHDF5Store(path: Fixtures.path("keras3-archive/" + name))
        #expect(store.layout == .keras3Archive)
        let weights = try #require(Self.reference?["archives"]?[name]?["weights"]?.arrayValue)
        #expect(store.tensors.count == weights.count)
        for weight in weights {
            let path = try #require(weight["path"]?.stringValue)
            let tensor = try #require(store.tensor(named: path), "\(name): no tensor \(path)")
            #expect(tensor.shape == weight["shape"]?.arrayValue?.compactMap(\.intValue))
            #expect(store.hasStableView(of: tensor))
            #expect(try digest(store, tensor) == weight["sha256"]?.stringValue, "\(name): \(path)")
        }
    }

    @Test("trainable counts are Keras' own where config.json lists the layers, unknown for a subclassed model", arguments: archives)
    func trainable(name: String) throws {
        let (_, model) = try loadModel("keras3-archive/" + name)
        let keras = try #require(Self.reference?["archives"]?[name]?["parameters"])
        let counts = model.parameterCounts
        #expect(counts.total == keras["total"]?.intValue)
        let listsLayers = Self.reference?["archives"]?[name]?["config_layers"]?.arrayValue?.isEmpty == false
        #expect(model.trainableRecorded == listsLayers)
        if listsLayers {
            #expect(counts.trainable == keras["trainable"]?.intValue)
            #expect(counts.nonTrainable == keras["non_trainable"]?.intValue)
        }
        #expect(model.recordedClass == Self.reference?["archives"]?[name]?["config"]?["class_name"]?.stringValue)
    }

    @Test("the subclassed archive holds the keras3 fixture's weights: every tensor equal to the .weights.h5 Keras saved")
    func sameAsWeightsFile() throws {
        let archive = try KerasHDF5Store(path: Fixtures.path("keras3-archive/subclassed.keras"))
        let file = try KerasHDF5Store(path: Fixtures.path("keras3/model.weights.h5"))
        #expect(archive.tensors.map(\.name) == file.tensors.map(\.name))
        for tensor in file.tensors {
            #expect(try digest(archive, try #require(archive.tensor(named: tensor.name))) == (try digest(file, tensor)), "\(tensor.name)")
        }
    }
}
