import TensorFormats

/// Paths to the committed fixtures, found from this file's location; shared by every test target.
public enum Fixtures {
    public static let root: String = {
        let tests = FilePath.directory(of: FilePath.directory(of: #filePath))
        return FilePath.join(FilePath.directory(of: tests), "fixtures")
    }()

    public static func path(_ relative: String) -> String { FilePath.join(root, relative) }

    /// A fixture's reference.json, written by the framework that wrote the fixture.
    public static func reference(_ folder: String) throws -> JSONValue {
        try MappedFile.withContents(of: path(folder + "/reference.json")) { try JSONParser.parse($0) }
    }
}

/// SHA-256 (hex) of a tensor's bytes as `store` hands them out: compared with the sha256 the frameworks recorded.
public func digest(_ store: any TensorStore, _ tensor: StoredTensor) throws -> String {
    try store.withBytes(of: tensor) { bytes in
        var hash = SHA256()
        hash.update(bytes)
        return hash.finalize()
    }
}
