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
