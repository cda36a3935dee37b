import Foundation

/// Structured, line-oriented logging to stderr: `level=info msg="…" key=value …`.
///
/// Libraries return errors; the daemon logs each failure once, at the boundary
/// (STYLE.md principle 7). When stderr is connected to the journal (`$JOURNAL_STREAM`
/// is set), each line starts with a `<N>` syslog priority so `journalctl -p` filters work.
public struct Logger: Sendable {
    /// Severity, ordered from most to least verbose.
    public enum Level: Int, Sendable, Comparable, CustomStringConvertible {
        case debug, info, notice, warning, error

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        public var description: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            }
        }

        /// syslog(3) priority used for the journal prefix.
        var syslogPriority: Int {
            switch self {
            case .debug: 7
            case .info: 6
            case .notice: 5
            case .warning: 4
            case .error: 3
            }
        }
    }

    /// Where formatted lines go; the default writes to stderr.
    public typealias Sink = @Sendable (String) -> Void

    public let label: String
    public var minimumLevel: Level
    private let journalPrefix: Bool
    private let sink: Sink

    public init(label: String, minimumLevel: Level = .info,
                environment: [String: String]? = nil,
                sink: Sink? = nil) {
        self.label = label
        self.minimumLevel = minimumLevel
        self.journalPrefix = (environment ?? ProcessInfo.processInfo.environment)["JOURNAL_STREAM"] != nil
        self.sink = sink ?? Logger.standardError
    }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.debug, message, fields)
    }
    public func info(_ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.info, message, fields)
    }
    public func notice(_ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.notice, message, fields)
    }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.warning, message, fields)
    }
    public func error(_ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) {
        log(.error, message, fields)
    }

    public func log(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible>) {
        guard level >= minimumLevel else { return }
        sink(format(level, message, fields))
    }

    /// One line: `[<N>]level=… logger=… msg="…" k=v…`; values with spaces or quotes are quoted.
    func format(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, CustomStringConvertible>) -> String {
        var line = journalPrefix ? "<\(level.syslogPriority)>" : ""
        line += "level=\(level) logger=\(label) msg=\(Logger.quote(message))"
        for (key, value) in fields {
            line += " \(key)=\(Logger.quote(value.description))"
        }
        return line
    }

    /// Quotes a value when it holds a space, quote, `=` or any control character, and
    /// escapes by Unicode scalar: a client-supplied `\r` (alone or in `\r\n`, which Swift
    /// treats as one character) or terminal escape must not start a forged line or
    /// repaint a terminal (#17 item 12).
    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || isControl($0) }
        guard needsQuotes else { return value }
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where isControl(scalar): escaped += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Writes one line to stderr. `FileHandle` is used because the C `stderr` global is
    /// not concurrency-safe under Swift 6.
    public static let standardError: Sink = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
