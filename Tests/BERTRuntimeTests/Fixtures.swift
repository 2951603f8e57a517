import TensorFormats

/// Paths to the committed fixtures, found from this file's location.
enum Fixtures {
    static let root: String = {
        let tests = FilePath.directory(of: FilePath.directory(of: #filePath))
        return FilePath.join(FilePath.directory(of: tests), "fixtures")
    }()

    static func path(_ relative: String) -> String { FilePath.join(root, relative) }

    /// A fixture's reference.json, written by the framework that wrote the fixture.
    static func reference(_ folder: String) throws -> JSONValue {
        let file = try MappedFile(path: path(folder + "/reference.json"))
        return try JSONParser.parse(file.bytes)
    }
}
