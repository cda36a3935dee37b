import Foundation
import HeraldCore

/// Reads secrets (webhook signing keys, API tokens) from where the config says: an
/// environment variable or a file. Relative file names are looked up in systemd's
/// `$CREDENTIALS_DIRECTORY` (LoadCredential=). Errors name the source, never the value.
struct SecretReader {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// A file name as `serve` opens it: absolute as is, relative inside `$CREDENTIALS_DIRECTORY`
    /// when systemd set it (`LoadCredential=`), else relative to the working directory.
    func resolvedPath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (environment["CREDENTIALS_DIRECTORY"].map { "\($0)/\(path)" } ?? path)
    }

    func read(_ source: SecretSource) throws(SecretError) -> String {
        switch source {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw SecretError(message: "environment variable '\(name)' is not set or empty")
            }
            return value
        case .environmentOrFile(let name, let path):
            if let value = environment[name], !value.isEmpty { return value }
            do {
                return try read(.file(path))
            } catch {
                throw SecretError(message: "environment variable '\(name)' is not set and \(error.message)")
            }
        case .file(let path):
            let resolved = resolvedPath(path)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw SecretError(message: "cannot read secret file '\(resolved)'")
            }
            // Files written by `echo` end in a newline that is not part of the secret.
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw SecretError(message: "secret file '\(resolved)' is empty") }
            return value
        }
    }
}

/// Every secret of a config that could not be read, one line each: `serve` and
/// `check --secrets` report them all at once, not one per attempt (#17 item 7).
struct SecretProblems: Error, Equatable {
    let lines: [String]
}

/// `herald check --secrets`: resolves every secret the config names exactly as `serve`
/// would (environment, files, `$CREDENTIALS_DIRECTORY`) without starting anything.
public enum SecretsCheck {
    /// One line per problem, each naming the token or target and the source (never a
    /// value); empty when every secret is present and valid.
    public static func problems(configPath: String, environment: [String: String]? = nil) -> [String] {
        do {
            _ = try RuntimeConfig.load(path: configPath, reader: SecretReader(environment: environment ?? ProcessInfo.processInfo.environment))
            return []
        } catch {
            return error.lines
        }
    }
}

/// A secret that could not be read or parsed; the message names where it came from.
struct SecretError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
