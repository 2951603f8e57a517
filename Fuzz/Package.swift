// swift-tools-version:6.0
// libFuzzer targets for every parser bertinspect exposes to untrusted input. Built by `make fuzz` with
// `-sanitize=fuzzer,address` applied to every module, so the parsers under test are instrumented too.
import PackageDescription

func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzDriver"] + products.map { .product(name: $0, package: "bertinspect") }
    )
}

let package = Package(
    name: "bertinspect-fuzz",
    dependencies: [.package(name: "bertinspect", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        fuzzer("FuzzSafetensors", ["TensorFormats"]),
        fuzzer("FuzzHDF5", ["TensorFormats", "HDF5Formats", "BERTGraph"]),
        fuzzer("FuzzHDF5Types", ["TensorFormats", "HDF5Formats", "BERTGraph"]),
        fuzzer("FuzzKerasConfig", ["BERTGraph"]),
        fuzzer("FuzzGolden", ["BERTRuntime", "TensorFormats"]),
        fuzzer("FuzzConfig", ["TensorFormats", "BERTGraph"]),
        fuzzer("FuzzTokenizer", ["WordPiece"]),
        fuzzer("FuzzPickle", ["TensorFormats"]),
        fuzzer("FuzzTFCheckpoint", ["TensorFormats"]),
        fuzzer("FuzzKerasArchive", ["TensorFormats", "HDF5Formats", "BERTGraph"]),
        fuzzer("FuzzONNX", ["TensorFormats", "BERTGraph"]),
    ],
    swiftLanguageModes: [.v6]
)
