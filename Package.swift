// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bertinspect",
    products: [
        .executable(name: "bertinspect", targets: ["bertinspect"]),
        .library(name: "TensorFormats", targets: ["TensorFormats"]),
        .library(name: "HDF5Formats", targets: ["HDF5Formats"]),
        .library(name: "BERTGraph", targets: ["BERTGraph"]),
        .library(name: "BERTRuntime", targets: ["BERTRuntime"]),
        .library(name: "WordPiece", targets: ["WordPiece"]),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "CSupport"),
        .target(name: "TensorFormats", dependencies: ["CSupport"]),
        .target(name: "HDF5Formats", dependencies: ["TensorFormats", "CHDF5", "CSupport"]),
        .target(name: "BERTGraph", dependencies: ["TensorFormats"]),
        .target(name: "BERTRuntime", dependencies: ["BERTGraph", "TensorFormats", "CBLAS"]),
        .target(name: "WordPiece"),
        .executableTarget(
            name: "bertinspect",
            dependencies: ["TensorFormats", "HDF5Formats", "BERTGraph", "BERTRuntime", "WordPiece"]
        ),
        .target(name: "FixtureSupport", dependencies: ["TensorFormats"], path: "Tests/FixtureSupport"),
        .testTarget(name: "TensorFormatsTests", dependencies: ["FixtureSupport", "TensorFormats"]),
        .testTarget(name: "HDF5FormatsTests", dependencies: ["FixtureSupport", "HDF5Formats", "TensorFormats"]),
        .testTarget(name: "BERTGraphTests", dependencies: ["FixtureSupport", "BERTGraph", "TensorFormats", "HDF5Formats"]),
        .testTarget(name: "BERTRuntimeTests", dependencies: ["FixtureSupport", "BERTRuntime", "BERTGraph", "TensorFormats", "HDF5Formats"]),
        .testTarget(name: "WordPieceTests", dependencies: ["FixtureSupport", "WordPiece", "TensorFormats"]),
        .testTarget(name: "EndToEndTests", dependencies: ["FixtureSupport", "bertinspect", "TensorFormats", "HDF5Formats", "BERTGraph"]),
    ],
    swiftLanguageModes: [.v6]
)
