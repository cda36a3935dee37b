import Foundation

/// Timing and memory probes shared by every micro-benchmark. Every loop is bounded in
/// both count and time, so a slow build or a loaded machine cannot make a run hang.
enum Measure {
    /// Monotonic nanoseconds (the same clock in every process on Linux).
    static func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Runs `body` until `maxIterations` or `budget` seconds, timing each call.
    /// The first `warmup` calls are not recorded (caches, lazy allocations).
    static func samples(maxIterations: Int, budget: Double, warmup: Int = 3, _ body: () -> Void) -> Samples {
        for _ in 0..<warmup { body() }
        let deadline = nanoseconds() + UInt64(budget * 1e9)
        var times: [UInt64] = []
        times.reserveCapacity(min(maxIterations, 1 << 20))
        while times.count < maxIterations {
            let start = nanoseconds()
            body()
            let end = nanoseconds()
            times.append(end - start)
            if end > deadline { break }
        }
        return Samples(nanoseconds: times)
    }

    /// Runs `body(i)` for i = 0, 1, … until `maxIterations` or `budget`, timing the whole
    /// loop in blocks (no per-call clock reads): for rates of very cheap operations.
    static func rate(maxIterations: Int, budget: Double, block: Int = 256, _ body: (Int) -> Void) -> Rate {
        let start = nanoseconds()
        let deadline = start + UInt64(budget * 1e9)
        var done = 0
        while done < maxIterations {
            let end = min(maxIterations, done + block)
            for i in done..<end { body(i) }
            done = end
            if nanoseconds() > deadline { break }
        }
        return Rate(operations: done, seconds: Double(nanoseconds() - start) / 1e9)
    }

    /// Resident set size and its peak, in MiB, from /proc/self/status.
    static func memory() -> (rss: Double, peak: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? 0
            return kilobytes / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

/// Per-call times of one benchmark.
struct Samples {
    let nanoseconds: [UInt64]

    private var sorted: [UInt64] { nanoseconds.sorted() }
    var count: Int { nanoseconds.count }

    /// The q-quantile (0…1) in microseconds.
    func quantile(_ q: Double) -> Double {
        let s = sorted
        guard !s.isEmpty else { return .nan }
        return Double(s[min(s.count - 1, Int(q * Double(s.count - 1)))]) / 1000
    }

    var meanMicroseconds: Double {
        nanoseconds.isEmpty ? .nan : Double(nanoseconds.reduce(0, +)) / Double(nanoseconds.count) / 1000
    }
}

/// Operations done in a measured time.
struct Rate {
    let operations: Int
    let seconds: Double

    var perSecond: Double { seconds > 0 ? Double(operations) / seconds : .nan }
    var microsecondsEach: Double { operations > 0 ? seconds * 1e6 / Double(operations) : .nan }
}

/// Keeps results alive so the optimiser cannot drop the work that produced them.
final class Sink: @unchecked Sendable {
    static let shared = Sink()
    private var total = 0
    func consume(_ value: Int) { total &+= value }
    var value: Int { total }
}
