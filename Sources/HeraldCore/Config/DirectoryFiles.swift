public import Foundation

/// One directory file named by the config's `directory.files`: its bytes, read by the
/// caller (the daemon or the CLI), since the core does no I/O.
public struct DirectoryFile: Sendable {
    /// How the file is shown as a user's source: the path as matched, relative to the
    /// config file's folder (`teams/ops.json`).
    public let name: String
    /// The path used in error messages (as the operator would open it).
    public let path: String
    public let data: Data

    public init(name: String, path: String, data: Data) {
        self.name = name
        self.path = path
        self.data = data
    }
}

/// What one `directory.files` pattern found: its files in sorted order, or why not.
public enum DirectoryFileLookup: Sendable {
    case found([DirectoryFile])
    case failed(String)
}

/// Reads the files one pattern of `directory.files` names (relative to the config file).
public typealias DirectoryFileReader = @Sendable (String) -> DirectoryFileLookup

extension DirectoryFileLookup {
    /// For callers that read no files (tests, fuzzing, benchmarks): a config naming
    /// directory files is refused with this reason.
    public static let noFiles: DirectoryFileReader = { _ in .failed("directory files cannot be read here") }
}

/// Directory files are decoded in the same pass as the config, so every reference and
/// duplicate check sees users and groups from all of them. Their elements carry a
/// path whose first component marks the file (`DirectoryFileMarker`); `ConfigLoader`
/// turns that back into the file's name, line:column and the path inside the file.
enum DirectoryFileMarker {
    /// A key no JSON document of ours uses (a control character), followed by the index.
    static let prefix = "\u{1}directory-file:"

    static func root(_ file: Int) -> JSONPath { JSONPath([.key("\(prefix)\(file)")]) }

    /// The file index and the path inside it, when `path` points into a directory file.
    static func split(_ path: JSONPath) -> (file: Int, path: JSONPath)? {
        guard case .key(let key)? = path.components.first, key.hasPrefix(prefix),
              let index = Int(key.dropFirst(prefix.count)) else { return nil }
        return (index, JSONPath(Array(path.components.dropFirst())))
    }
}

/// Limits on directory files, so a mistyped pattern cannot pull in a whole disk.
public enum DirectoryFileLimits {
    /// Most files all patterns together may match.
    public static let maxFiles = 1_000
    /// Most bytes of one directory file (100,000 users take ≈ 15 MB in the config format).
    public static let maxFileBytes = 64 * 1024 * 1024
}

extension ConfigDecoder {
    /// Reads `directory.files`, parses each file and returns the users and groups they
    /// hold, each element with its marked path. Problems are reported where they are.
    mutating func decodeDirectoryFiles(_ reader: inout ObjectReader) -> (users: [(JSONPath, JSONValue)], groups: [(JSONPath, JSONValue)]) {
        var users: [(JSONPath, JSONValue)] = []
        var groups: [(JSONPath, JSONValue)] = []
        for (patternPath, pattern) in reader.strings("files") {
            switch readFiles(pattern) {
            case .failed(let message):
                diagnostics.error("directory_file", patternPath, message)
            case .found(let files):
                if files.isEmpty { diagnostics.error("directory_file", patternPath, "'\(pattern)' matches no file") }
                for file in files {
                    guard directoryFiles.count < DirectoryFileLimits.maxFiles else {
                        diagnostics.error("directory_file", patternPath,
                                          "the directory files name more than \(DirectoryFileLimits.maxFiles) files")
                        return (users, groups)
                    }
                    let index = directoryFiles.count
                    directoryFiles.append(file)
                    guard let root = parseDirectoryFile(file, index: index) else { continue }
                    guard var fileReader = ObjectReader(root, at: DirectoryFileMarker.root(index), diagnostics) else { continue }
                    users += fileReader.array("users") ?? []
                    groups += fileReader.array("groups") ?? []
                    fileReader.finish()
                }
            }
        }
        reader.finish()
        return (users, groups)
    }

    /// The file's JSON tree, or nil after recording its syntax error (with its position).
    private func parseDirectoryFile(_ file: DirectoryFile, index: Int) -> JSONValue? {
        guard file.data.count <= DirectoryFileLimits.maxFileBytes else {
            diagnostics.error("directory_file", DirectoryFileMarker.root(index),
                              "the file is larger than \(DirectoryFileLimits.maxFileBytes) bytes")
            return nil
        }
        do {
            let parsed = try JSONParser.parse(file.data)
            for duplicate in parsed.duplicateKeys {
                diagnostics.error("duplicate_key", JSONPath(DirectoryFileMarker.root(index).components + duplicate.path.components),
                                  "a key appears twice in the same object; the first value would be ignored")
            }
            return parsed.value
        } catch {
            diagnostics.append(ConfigIssue(.error, code: "json_syntax", path: DirectoryFileMarker.root(index), error.message,
                                           position: error.position))
            return nil
        }
    }

    /// `teams/ops.json users[3]` for a path into a directory file, else the path itself:
    /// how messages name another place ("first defined at …").
    func place(_ path: JSONPath) -> String {
        guard let (file, inner) = DirectoryFileMarker.split(path), file < directoryFiles.count else { return path.description }
        return "\(directoryFiles[file].name) \(inner)"
    }
}
