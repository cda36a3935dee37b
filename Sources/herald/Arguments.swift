/// A minimal `--flag value` parser: Herald's commands take a handful of named
/// options, and a usage error must name the option at fault.
struct Arguments {
    private(set) var values: [String: String] = [:]
    /// Every value of a repeated option, in order (`values` keeps the last).
    private(set) var repeated: [String: [String]] = [:]
    private(set) var flags: Set<String> = []

    /// Parses `arguments` against the options a command knows; throws a usage error
    /// for unknown options or a missing value.
    init(_ arguments: [String], options: Set<String>, flags knownFlags: Set<String>) throws(UsageError) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if knownFlags.contains(name), inline == nil {
                flags.insert(name)
            } else if options.contains(name) {
                guard let value = inline ?? iterator.next() else { throw UsageError("option \(name) needs a value") }
                values[name] = value
                repeated[name, default: []].append(value)
            } else {
                throw UsageError("unknown option '\(argument)'")
            }
        }
    }

    func value(_ name: String) -> String? { values[name] }

    /// All values given for an option that may repeat (e.g. `--label`).
    func allValues(_ name: String) -> [String] { repeated[name] ?? [] }

    func required(_ name: String) throws(UsageError) -> String {
        guard let value = values[name] else { throw UsageError("missing required option \(name)") }
        return value
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

/// A command-line mistake; printed with the command's usage, exit status 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
