/// Where a user or group of the directory is defined. Shown by `explain` and the
/// directory API, and the reason SCIM may not change what a file owns.
public enum DirectorySource: Sendable, Hashable, CustomStringConvertible {
    /// The config file itself.
    case config
    /// A directory file, by its name relative to the config file (`teams/ops.json`).
    case file(String)
    /// Provisioned through SCIM and kept in the store.
    case scim

    /// `config`, the file's name, or `scim`.
    public var description: String {
        switch self {
        case .config: "config"
        case .file(let name): name
        case .scim: "scim"
        }
    }

    /// The kind alone: `config`, `file` or `scim`.
    public var kind: String {
        switch self {
        case .config: "config"
        case .file: "file"
        case .scim: "scim"
        }
    }
}
