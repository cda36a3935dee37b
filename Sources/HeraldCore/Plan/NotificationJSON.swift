public import Foundation

/// A notification's JSON for the rest of Herald, all from its one encoder
/// (`NotificationDocument`): the bytes the audit log stores, and the same document as
/// Foundation objects for explain, whose output is assembled with `JSONSerialization`.
/// Explain, the audit log and webhooks therefore show one shape: `reason` is left out for
/// notices stored before reasons existed, `actor` is only present on manual notices
/// (acknowledged, resolved by hand), `escalationStep` on timeout notices, `unrouted` on
/// notices whose own audience resolved to nobody.
public enum NotificationJSON {
    /// The audit-log payload: sorted keys, no whitespace.
    public static func data(_ n: Notification) -> Data { NotificationDocument(n).data() }

    /// The audit document as Foundation objects (`herald explain --json`, `POST /v1/explain`).
    public static func object(_ n: Notification) -> [String: Any] { foundationObject(data(n)) }

    /// An event as a notification's `event` member shows it.
    public static func event(_ e: MetricEvent) -> [String: Any] {
        var writer = JSONBytesWriter()
        NotificationDocument.write(e, to: &writer)
        return foundationObject(writer.data)
    }

    /// Bytes just written by `JSONBytesWriter`, read back. Through `JSONValue`, whose
    /// numbers stay the `Double`s that were written (a `JSONSerialization` round trip
    /// would turn `-0` into `0` and `1.2345678901234568e+17` into an integer).
    private static func foundationObject(_ data: Data) -> [String: Any] {
        (try? JSONValue.parse(data))?.foundationObject as? [String: Any] ?? [:]
    }

    /// RFC 3339 with milliseconds, UTC.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
