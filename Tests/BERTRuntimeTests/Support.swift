import BERTGraph
import FixtureSupport
import BERTRuntime
import HDF5Formats
import TensorFormats

let formats: [any CheckpointFormat] = [SafetensorsFormat(), HDF5Format(), KerasArchiveFormat(), PyTorchFormat()]

/// Opens a fixture checkpoint (a folder or one file in it) and loads its typed model.
func loadModel(_ relative: String) throws -> (Checkpoint, BERTModel) {
    let checkpoint = try Checkpoint.open(Fixtures.path(relative), formats: formats)
    return (checkpoint, try ModelLoader.load(checkpoint))
}

/// A CPU forward pass for a fixture, on one OpenBLAS thread.
func cpuPass(_ relative: String) throws -> (BERTModel, ForwardPass<CPUBackend>) {
    setThreadCount(1)
    let (checkpoint, model) = try loadModel(relative)
    return (model, try ForwardPass(model: model, store: checkpoint.store))
}
