import Foundation
import HeraldDaemon

/// Writes to stdout/stderr without the C globals (not concurrency-safe in Swift 6).
enum Output {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints a tool's result: its text on stdout (exit 0), or `herald COMMAND: message`
    /// on stderr (exit 1).
    static func report(_ command: String, _ result: Result<String, ToolFailure>) -> Int32 {
        switch result {
        case .success(let text):
            out(text)
            return ExitStatus.success
        case .failure(let failure):
            err("herald \(command): \(failure.message)\n")
            return ExitStatus.invalidInput
        }
    }

    /// Reads a file, or stdin for "-".
    static func read(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}

/// Exit statuses: 0 success, 1 the input is wrong (config or events), 2 usage error.
enum ExitStatus {
    static let success: Int32 = 0
    static let invalidInput: Int32 = 1
    static let usage: Int32 = 2
}
