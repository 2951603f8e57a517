import Testing
import FixtureSupport
import HDF5Formats
import TensorFormats

@Suite("HDF5 layouts")
struct HDF5StoreTests {
    @Test("recognises each layout from its structure", arguments: [
        ("tf-seqcls", "tf_model.h5", StoreLayout.hfTFWeights),
        ("tf-pretraining", "tf_model.h5", .hfTFWeights),
        ("keras-cnn-subclassed", "weights.h5", .kerasWeights),
        ("keras-cnn-functional", "weights.h5", .kerasWeights),
        ("keras-bert-cnn-subclassed", "weights.h5", .kerasWeights),
        ("keras-bert-cnn-functional", "weights.h5", .kerasWeights),
        ("keras-full", "model.h5", .kerasFullModel),
        ("keras3", "model.weights.h5", .keras3Weights),
    ])
    func layout(folder: String, file: String, layout: StoreLayout) throws {
        let store = try KerasHDF5Store(path: Fixtures.path("\(folder)/\(file)"))
        #expect(store.layout == layout)
        let reference = try Fixtures.reference(folder)
        #expect(store.tensors.count + store.unlistedNames.count == reference["stored_tensors"]?.intValue)
        #expect(store.tensors.allSatisfy { $0.dtype == .f32 })
    }

    @Test("lists weightless layers as empty groups, in file order")
    func weightlessLayers() throws {
        let store = try KerasHDF5Store(path: Fixtures.path("tf-seqcls/tf_model.h5"))
        let groups = try #require(store.layerGroups)
        #expect(groups.first?.name == "bert")
        #expect(groups.last?.name == "classifier")
        #expect(groups.contains { $0.name.hasPrefix("dropout") && $0.tensorNames.isEmpty })
    }

    @Test("reads tensor bytes in place from a contiguous dataset")
    func bytes() throws {
        let store = try KerasHDF5Store(path: Fixtures.path("tf-seqcls/tf_model.h5"))
        let tensor = try #require(store.tensors.first { $0.name.hasSuffix("classifier/bias:0") })
        #expect(store.hasStableView(of: tensor))
        // In place: the view points into the mapped file, at the bytes h5py's own reading (the pt-seqcls twin) holds.
        let twin = try SafetensorsFile(path: Fixtures.path("pt-seqcls/model.safetensors"))
        let bias = try #require(twin.tensor(named: "classifier.bias"))
        let view = try store.withBytes(of: tensor) { Array($0) }
        #expect(view == (try twin.withBytes(of: bias) { Array($0) }))
    }

    @Test("reads the shards of a sharded tf_model.h5 through its index")
    func shards() throws {
        let store = try Checkpoint.openStore(Fixtures.path("tf-sharded/tf_model.h5.index.json"), formats: [HDF5Format()])
        let reference = try Fixtures.reference("tf-sharded")
        #expect(store.tensors.count == reference["stored_tensors"]?.intValue)
        #expect(store.layout == .hfTFWeights)
    }

    @Test("refuses links and storage that leave the file", arguments: [
        ("h5-external-link.h5", "external link"), ("h5-soft-link.h5", "soft link"), ("h5-external-storage.h5", "external files"),
    ])
    func refuses(file: String, phrase: String) {
        do {
            _ = try KerasHDF5Store(path: Fixtures.path("malformed/\(file)"))
            Issue.record("\(file) was accepted")
        } catch let error as HDF5Error {
            guard case let .unsafe(_, reason) = error else { Issue.record("unexpected error \(error)"); return }
            #expect(reason.contains(phrase))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("turns HDF5's error stack into the failing call and its message")
    func errorStack() {
        do {
            _ = try KerasHDF5Store(path: Fixtures.path("malformed/hdf5-signature-only.h5"))
            Issue.record("accepted")
        } catch let error as HDF5Error {
            guard case let .call(_, function, message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(function == "H5Fopen")
            #expect(!message.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
