import Foundation
import Testing
@testable import HeraldCore

/// Quiet hours hold a person's notices until their window ends: across midnight, in
/// their own zone, and across daylight-saving switches (Europe/Berlin, 2026: clocks go
/// forward 02:00 → 03:00 on 29 March and back 03:00 → 02:00 on 25 October).
@Suite struct QuietHoursTests {
    static func utc(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { preconditionFailure("bad test date \(text)") }
        return date
    }

    static func hours(_ zone: String, _ windows: [(days: [Weekday]?, start: String, end: String)]) -> QuietHours {
        QuietHours(timeZone: TimeZone(identifier: zone)!, windows: windows.map { w in
            QuietHours.Window(days: Set(w.days ?? Weekday.allCases), start: TimeOfDay(parsing: w.start)!, end: TimeOfDay(parsing: w.end)!)
        })
    }

    static let berlinNights = hours("Europe/Berlin", [(nil, "22:00", "07:00")])

    struct HoldCase: Sendable, CustomTestStringConvertible {
        let name: String
        let hours: QuietHours
        let at: String
        let until: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        // Spring forward: the night of 28–29 March lasts 8 hours (21:00Z to 05:00Z).
        HoldCase(name: "spring night, a minute before the start", hours: berlinNights, at: "2026-03-28T20:59:00Z", until: nil),
        HoldCase(name: "spring night, at the start (22:00 CET)", hours: berlinNights, at: "2026-03-28T21:00:00Z", until: "2026-03-29T05:00:00Z"),
        HoldCase(name: "spring night, after midnight", hours: berlinNights, at: "2026-03-29T00:30:00Z", until: "2026-03-29T05:00:00Z"),
        HoldCase(name: "spring night, a minute before 07:00 CEST", hours: berlinNights, at: "2026-03-29T04:59:00Z", until: "2026-03-29T05:00:00Z"),
        HoldCase(name: "spring night, at the end (07:00 CEST)", hours: berlinNights, at: "2026-03-29T05:00:00Z", until: nil),
        HoldCase(name: "first summer night", hours: berlinNights, at: "2026-03-29T20:00:00Z", until: "2026-03-30T05:00:00Z"),
        // Fall back: the night of 24–25 October lasts 10 hours (20:00Z to 06:00Z).
        HoldCase(name: "autumn night, before the start", hours: berlinNights, at: "2026-10-24T19:59:00Z", until: nil),
        HoldCase(name: "autumn night, at the start (22:00 CEST)", hours: berlinNights, at: "2026-10-24T20:00:00Z", until: "2026-10-25T06:00:00Z"),
        HoldCase(name: "autumn night, inside the repeated hour", hours: berlinNights, at: "2026-10-25T00:30:00Z", until: "2026-10-25T06:00:00Z"),
        HoldCase(name: "autumn night, at the end (07:00 CET)", hours: berlinNights, at: "2026-10-25T06:00:00Z", until: nil),
        // A start inside the skipped hour moves forward by the gap: 02:30 → 03:30 CEST.
        HoldCase(name: "window starting in the skipped hour, before it opens", hours: hours("Europe/Berlin", [(nil, "02:30", "04:00")]),
                 at: "2026-03-29T01:15:00Z", until: nil),
        HoldCase(name: "window starting in the skipped hour, open", hours: hours("Europe/Berlin", [(nil, "02:30", "04:00")]),
                 at: "2026-03-29T01:30:00Z", until: "2026-03-29T02:00:00Z"),
        // A start inside the repeated hour means its first occurrence (02:30 CEST).
        HoldCase(name: "window in the repeated hour", hours: hours("Europe/Berlin", [(nil, "02:30", "03:00")]),
                 at: "2026-10-25T00:30:00Z", until: "2026-10-25T02:00:00Z"),
        // Days name the day a window starts: Friday night runs into Saturday morning.
        HoldCase(name: "friday night on friday", hours: hours("UTC", [([.fri], "22:00", "07:00")]), at: "2026-11-27T23:00:00Z", until: "2026-11-28T07:00:00Z"),
        HoldCase(name: "friday night on saturday morning", hours: hours("UTC", [([.fri], "22:00", "07:00")]), at: "2026-11-28T06:00:00Z", until: "2026-11-28T07:00:00Z"),
        HoldCase(name: "no window starts on saturday", hours: hours("UTC", [([.fri], "22:00", "07:00")]), at: "2026-11-28T23:00:00Z", until: nil),
        HoldCase(name: "no window starts on thursday", hours: hours("UTC", [([.fri], "22:00", "07:00")]), at: "2026-11-27T06:00:00Z", until: nil),
        // Back-to-back and overlapping windows hold through to the last end.
        HoldCase(name: "friday night then a saturday lie-in", hours: hours("UTC", [([.fri], "22:00", "07:00"), ([.sat], "07:00", "10:00")]),
                 at: "2026-11-27T23:00:00Z", until: "2026-11-28T10:00:00Z"),
        HoldCase(name: "overlapping windows", hours: hours("UTC", [(nil, "22:00", "02:00"), (nil, "23:00", "05:00")]),
                 at: "2026-11-23T22:30:00Z", until: "2026-11-24T05:00:00Z"),
        // Calendar edges: month and year ends, and 24:00 as an end.
        HoldCase(name: "across a month end", hours: hours("UTC", [(nil, "22:00", "07:00")]), at: "2026-03-31T23:00:00Z", until: "2026-04-01T07:00:00Z"),
        HoldCase(name: "across a year end", hours: hours("UTC", [(nil, "22:00", "07:00")]), at: "2026-12-31T23:00:00Z", until: "2027-01-01T07:00:00Z"),
        HoldCase(name: "ending at 24:00", hours: hours("UTC", [(nil, "20:00", "24:00")]), at: "2026-11-23T23:59:00Z", until: "2026-11-24T00:00:00Z"),
        // The example's user: Sydney in summer time (UTC+11).
        HoldCase(name: "sydney night", hours: hours("Australia/Sydney", [(nil, "22:00", "07:00")]), at: "2026-11-23T12:00:00Z", until: "2026-11-23T20:00:00Z"),
        HoldCase(name: "sydney day", hours: hours("Australia/Sydney", [(nil, "22:00", "07:00")]), at: "2026-11-23T09:00:00Z", until: nil),
    ])
    func heldUntil(_ testCase: HoldCase) {
        #expect(testCase.hours.heldUntil(at: Self.utc(testCase.at)) == testCase.until.map(Self.utc))
    }

    /// An always-quiet person is held a bounded time, not forever.
    @Test func alwaysQuietIsBounded() throws {
        let always = Self.hours("UTC", [(nil, "00:00", "24:00")])
        let at = Self.utc("2026-11-23T12:00:00Z")
        let until = try #require(always.heldUntil(at: at))
        #expect(until == Self.utc("2026-12-08T00:00:00Z"))
    }

    @Test(arguments: [
        ("00:00", 0), ("07:05", 425), ("23:59", 1439), ("24:00", 1440),
    ])
    func parsesTimesOfDay(_ text: String, _ minutes: Int) {
        #expect(TimeOfDay(parsing: text)?.minutes == minutes)
        #expect(TimeOfDay(parsing: text)?.description == text)
    }

    @Test(arguments: ["7:00", "24:01", "12:60", "1200", "ab:cd", "12:5", " 12:00", "-1:00", "１２:００"])
    func refusesMalformedTimes(_ text: String) {
        #expect(TimeOfDay(parsing: text) == nil)
    }
}
