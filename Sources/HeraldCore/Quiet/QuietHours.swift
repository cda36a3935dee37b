public import Foundation

/// A day of the week as the config writes it (`mon` … `sun`).
public enum Weekday: String, Sendable, CaseIterable, Codable {
    case mon, tue, wed, thu, fri, sat, sun

    /// Foundation's Gregorian weekday number (1 = Sunday … 7 = Saturday).
    var calendarNumber: Int {
        switch self {
        case .sun: 1
        case .mon: 2
        case .tue: 3
        case .wed: 4
        case .thu: 5
        case .fri: 6
        case .sat: 7
        }
    }

    init?(calendarNumber: Int) {
        guard let day = Weekday.allCases.first(where: { $0.calendarNumber == calendarNumber }) else { return nil }
        self = day
    }
}

/// A wall-clock time of day, `HH:MM`, in minutes since midnight. `24:00` is allowed as
/// a window's end (the end of the day).
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let minutesPerDay = 24 * 60

    public let minutes: Int

    public init?(minutes: Int) {
        guard (0...TimeOfDay.minutesPerDay).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    /// Parses `HH:MM` (two-digit hour 00–24, minute 00–59; `24:00` only as itself).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), minute < 60,
              hour < 24 || (hour == 24 && minute == 0) else { return nil }
        self.init(minutes: hour * 60 + minute)
    }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.minutes < b.minutes }

    public var description: String {
        let hour = minutes / 60, minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}

/// A person's weekly quiet hours in their own time zone: notices to them are held
/// while a window is open and delivered when it closes, unless the tier is critical.
///
/// A window starts on each of its days at `start` local time and ends at `end`, on the
/// same day if `end` is later, else on the next day (so `22:00`–`07:00` crosses
/// midnight). Times are wall-clock times in `timeZone`, so a window keeps its local
/// hours across daylight-saving switches: a start or end inside a skipped hour moves
/// forward by the gap, and one inside a repeated hour means its first occurrence.
public struct QuietHours: Sendable, Equatable {
    /// One weekly window.
    public struct Window: Sendable, Equatable {
        /// Days the window *starts* on.
        public let days: Set<Weekday>
        public let start: TimeOfDay
        public let end: TimeOfDay

        public init(days: Set<Weekday> = Set(Weekday.allCases), start: TimeOfDay, end: TimeOfDay) {
            self.days = days
            self.start = start
            self.end = end
        }

        /// Whether the window ends on the day after it starts.
        public var crossesMidnight: Bool { end <= start }
    }

    /// How many back-to-back windows `heldUntil` follows (a window ending where the
    /// next begins holds on through it). Two weeks covers any weekly layout, and keeps
    /// an always-quiet configuration finite instead of holding forever.
    public static let maxChainedWindows = 14

    public let timeZone: TimeZone
    public let windows: [Window]

    public init(timeZone: TimeZone, windows: [Window]) {
        self.timeZone = timeZone
        self.windows = windows
    }

    /// When the quiet period containing `date` ends (following back-to-back windows),
    /// or nil when `date` is outside every window.
    public func heldUntil(at date: Date) -> Date? {
        guard var end = windowEnd(containing: date) else { return nil }
        for _ in 0..<QuietHours.maxChainedWindows {
            guard let next = windowEnd(containing: end), next > end else { break }
            end = next
        }
        return end
    }

    /// The latest end among windows open at `date`. Only windows starting today or
    /// yesterday (local) can be open, since none lasts a full day past its start day.
    func windowEnd(containing date: Date) -> Date? {
        let calendar = self.calendar
        let today = calendar.startOfDay(for: date)
        var latest: Date?
        for offset in [-1, 0] {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today),
                  let weekday = Weekday(calendarNumber: calendar.component(.weekday, from: day)) else { continue }
            for window in windows where window.days.contains(weekday) {
                guard let start = instant(window.start, on: day, calendar),
                      let end = instant(window.end, on: day, plusDays: window.crossesMidnight ? 1 : 0, calendar),
                      start <= date, date < end else { continue }
                latest = max(latest ?? end, end)
            }
        }
        return latest
    }

    /// The instant a wall-clock time happens on a local day (plus whole days).
    private func instant(_ time: TimeOfDay, on day: Date, plusDays: Int = 0, _ calendar: Calendar) -> Date? {
        var components = calendar.dateComponents([.year, .month, .day], from: day)
        components.day = (components.day ?? 1) + plusDays + time.minutes / TimeOfDay.minutesPerDay
        components.hour = (time.minutes % TimeOfDay.minutesPerDay) / 60
        components.minute = time.minutes % 60
        return calendar.date(from: components)
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}
