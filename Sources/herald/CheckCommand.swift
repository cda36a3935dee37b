import Foundation
import HeraldCore
import HeraldDaemon

/// `herald check`: validate a config, print a one-line summary and warnings, or every error.
enum CheckCommand {
    static let usage = """
    usage: herald check --config FILE [--secrets] [--json]

    Validates a Herald config. Prints a one-line summary (and any warnings) and exits 0,
    or prints every error with its line:column and JSON path and exits 1.

    options:
      --config FILE   the config file (JSON)
      --secrets       also read every token and signing secret as `serve` would
                      (environment, files, $CREDENTIALS_DIRECTORY) and report every
                      missing or invalid one; run it as the service's user and environment
      --json          print the result as JSON
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let args = try Arguments(arguments, options: ["--config"], flags: ["--json", "--secrets"])
        let path = try args.required("--config")
        let data: Data
        do {
            data = try Output.read(path)
        } catch {
            Output.err("herald: cannot read config '\(path)': \(error.localizedDescription)\n")
            return ExitStatus.invalidInput
        }
        do {
            let config = try ConfigLoader.load(data, readFiles: DirectoryFileGlob.reader(forConfigAt: path))
            if let issue = ListenCheck.issue(config) { return refuse([issue], path: path, json: args.has("--json")) }
            if args.has("--secrets") {
                let problems = SecretsCheck.problems(configPath: path)
                if !problems.isEmpty { return reportSecretProblems(problems, path: path, json: args.has("--json")) }
            }
            if args.has("--json") {
                Output.out(String(decoding: ExplanationRenderer.serialize(result(ok: true, summary: config.summary, config.warnings)), as: UTF8.self) + "\n")
            } else {
                for warning in config.warnings { Output.err("\(warning.file ?? path):\(warning.position == nil ? " " : "")\(warning.description) (warning)\n") }
                Output.out("\(path): ok: \(config.summary)\(config.warnings.isEmpty ? "" : ", \(config.warnings.count) warnings")\n")
            }
            return ExitStatus.success
        } catch {
            return refuse(error.issues, path: path, json: args.has("--json"))
        }
    }

    /// Prints every error with its place; exit 1.
    private static func refuse(_ issues: [ConfigIssue], path: String, json: Bool) -> Int32 {
        if json {
            Output.out(String(decoding: ExplanationRenderer.serialize(result(ok: false, summary: nil, issues)), as: UTF8.self) + "\n")
        } else {
            for issue in issues { Output.err("\(issue.file ?? path):\(issue.position == nil ? " " : "")\(issue.description)\n") }
            Output.err("\(path): \(issues.count) error\(issues.count == 1 ? "" : "s")\n")
        }
        return ExitStatus.invalidInput
    }

    /// Every missing or invalid secret, as errors with code `missing_secret`; exit 1.
    private static func reportSecretProblems(_ problems: [String], path: String, json: Bool) -> Int32 {
        if json {
            let object: [String: Any] = ["ok": false, "summary": NSNull(), "issues": problems.map { line -> [String: Any] in
                ["severity": "error", "code": "missing_secret", "path": NSNull(), "file": NSNull(), "message": line, "line": NSNull(), "column": NSNull()]
            }]
            Output.out(String(decoding: ExplanationRenderer.serialize(object), as: UTF8.self) + "\n")
        } else {
            for line in problems { Output.err("\(path): \(line)\n") }
            Output.err("\(path): \(problems.count) secret\(problems.count == 1 ? "" : "s") missing or invalid\n")
        }
        return ExitStatus.invalidInput
    }

    private static func result(ok: Bool, summary: String?, _ issues: [ConfigIssue]) -> [String: Any] {
        [
            "ok": ok,
            "summary": summary ?? NSNull(),
            "issues": issues.map { issue -> [String: Any] in
                [
                    "severity": issue.severity.rawValue, "code": issue.code, "path": issue.path.description,
                    "file": issue.file ?? NSNull(),
                    "message": issue.message, "line": issue.position?.line ?? NSNull(), "column": issue.position?.column ?? NSNull(),
                ]
            },
        ]
    }
}
