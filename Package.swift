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
        // libhdf5 and OpenBLAS are opened with dlopen on first use (Sources/CHDF5/loader.c, Sources/CBLAS/loader.c),
        // so a command that reads no HDF5 file or does no arithmetic starts without them; their headers come from
        // Debian's libhdf5-dev, which `make` installs.
        .target(name: "CHDF5", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl")]),
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
