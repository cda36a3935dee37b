import Foundation

/// A user's quiet hours: `{"timeZone": "<IANA name>", "windows": [{"days"?, "start", "end"}]}`.
extension ConfigDecoder {
    /// Decodes `quietHours` if present; nil when absent or unusable (errors reported
    /// with their paths, every window checked).
    func decodeQuietHours(_ reader: inout ObjectReader, at path: JSONPath) -> QuietHours? {
        guard var quiet = reader.object("quietHours") else { return nil }
        let quietPath = path.appending("quietHours")
        let zoneName = quiet.string("timeZone", required: true)
        let items = quiet.array("windows", required: true)
        quiet.finish()
        let zone = zoneName.flatMap { decodeTimeZone($0, at: quietPath.appending("timeZone")) }
        guard let items else { return nil }
        if items.isEmpty {
            diagnostics.error("empty_value", quietPath.appending("windows"), "quiet hours need at least one window")
        }
        let windows = items.compactMap { decodeWindow($1, at: $0) }
        guard let zone, windows.count == items.count, !windows.isEmpty else { return nil }
        return QuietHours(timeZone: zone, windows: windows)
    }

    /// IANA names as Foundation knows them (`Australia/Sydney`), with a suggestion.
    private func decodeTimeZone(_ name: String, at path: JSONPath) -> TimeZone? {
        if let zone = TimeZone(identifier: name) { return zone }
        diagnostics.error("bad_time_zone", path,
                          "unknown time zone '\(name)'\(Suggestion.hint(for: name, in: TimeZone.knownTimeZoneIdentifiers)); use an IANA name like 'Australia/Sydney'")
        return nil
    }

    private func decodeWindow(_ item: JSONValue, at path: JSONPath) -> QuietHours.Window? {
        guard var reader = ObjectReader(item, at: path, diagnostics) else { return nil }
        var days = Set(Weekday.allCases)
        var daysOK = true
        if let written = reader.array("days") {
            if written.isEmpty {
                diagnostics.error("empty_value", path.appending("days"), "'days' must name at least one day (leave it out for every day)")
                daysOK = false
            }
            days = []
            for (dayPath, value) in written {
                guard case .string(let text) = value else {
                    diagnostics.error("wrong_type", dayPath, "expected a string, found \(value.typeName)")
                    daysOK = false
                    continue
                }
                guard let day = Weekday(rawValue: text) else {
                    let names = Weekday.allCases.map(\.rawValue)
                    diagnostics.error("bad_value", dayPath,
                                      "unknown day '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
                    daysOK = false
                    continue
                }
                days.insert(day)
            }
        }
        let start = decodeTime(&reader, "start", at: path)
        let end = decodeTime(&reader, "end", at: path)
        reader.finish()
        guard let start, let end else { return nil }
        if start.minutes == TimeOfDay.minutesPerDay {
            diagnostics.error("bad_time", path.appending("start"), "a window cannot start at 24:00; use 00:00")
            return nil
        }
        if start == end {
            diagnostics.error("empty_window", path.appending("end"), "a window must end at a different time than it starts, found \(start) for both")
            return nil
        }
        return daysOK ? QuietHours.Window(days: days, start: start, end: end) : nil
    }

    private func decodeTime(_ reader: inout ObjectReader, _ key: String, at path: JSONPath) -> TimeOfDay? {
        guard let text = reader.string(key, required: true) else { return nil }
        guard let time = TimeOfDay(parsing: text) else {
            diagnostics.error("bad_time", path.appending(key),
                              "'\(text)' is not a time of day; use HH:MM from 00:00 to 23:59 (24:00 for the end of a day)")
            return nil
        }
        return time
    }
}
