import Foundation
import HeraldStore

/// Why a command-line tool could not do its work, as one line for stderr.
public struct ToolFailure: Error {
    public let message: String
}

/// The state store of a daemon's state directory, opened for a command-line tool
/// (SQLite in WAL mode allows this while the daemon runs).
enum LocalState {
    /// Opens the store in `stateDirectory` (or the default one) and runs `body` on it;
    /// a missing or unreadable store becomes a failure that names the directory.
    static func run(_ stateDirectory: String?, _ body: (SQLiteStore) throws -> String) -> Result<String, ToolFailure> {
        let directory = DaemonOptions(configPath: "", stateDirectory: stateDirectory).resolvedStateDirectory()
        guard FileManager.default.fileExists(atPath: directory + "/" + SQLiteStore.fileName) else {
            return .failure(ToolFailure(message: "no Herald state in '\(directory)' (use --state-dir)"))
        }
        do {
            return .success(try body(try SQLiteStore(directory: URL(fileURLWithPath: directory))))
        } catch let failure as ToolFailure {
            return .failure(failure)
        } catch let error as StoreError {
            return .failure(ToolFailure(message: "the state store in '\(directory)' failed: \(error.message)"))
        } catch {
            return .failure(ToolFailure(message: "\(error)"))
        }
    }
}
