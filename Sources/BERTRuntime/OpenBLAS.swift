import CBLAS

/// Sets how many threads OpenBLAS uses for every following matrix product (`--threads N`).
///
/// Process-wide: OpenBLAS keeps one thread pool. Values below 1 are raised to 1.
public func setThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(clamping: max(count, 1)))
}

/// How many threads OpenBLAS currently uses.
public func threadCount() -> Int {
    Int(openblas_get_num_threads())
}

/// The name of the OpenBLAS kernel chosen for this CPU (`Haswell`, `SkylakeX`, `Zen`), for benchmark reports.
///
/// `OPENBLAS_CORETYPE` in the environment overrides OpenBLAS' own detection.
public func openBLASCoreName() -> String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
}
