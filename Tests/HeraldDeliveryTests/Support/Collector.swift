import Foundation

/// Gathers values delivered on other threads and lets a test wait for them, bounded.
final class Collector<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var values: [Value] = []

    func append(_ value: Value) {
        condition.lock()
        values.append(value)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `count` values arrived or `timeout` seconds passed; returns what is there.
    func wait(for count: Int, timeout: TimeInterval = 10) -> [Value] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while values.count < count, condition.wait(until: deadline) {}
        return values
    }

    var current: [Value] {
        condition.lock()
        defer { condition.unlock() }
        return values
    }
}
