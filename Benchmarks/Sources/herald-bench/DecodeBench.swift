import Foundation
import HeraldCore

/// Event decoding, the known hot spot of ingest: Herald's `EventDecoder` (parse +
/// validate with paths), its `JSONParser` and timestamp parsing alone, next to
/// Foundation's `JSONSerialization` (parse only) and `JSONDecoder` (typed, no
/// validation) on the same ~230-byte event.
struct DecodeBench {
    let budget: Double
    let maxIterations: Int

    /// The event the ingest benchmark posts (ids differ per request there).
    static let event = #"{"id":"evt-000012345","metric":"metric_3","value":15.5,"subject":{"id":"p-12345","type":"participant"},"relations":{"primary_coordinator":"u13","case_manager":"u23"},"labels":{"region":"north"},"timestamp":"2026-11-23T10:15:00Z"}"#

    static var batch: String {
        "{\"events\":[" + (0..<100).map { i in event.replacingOccurrences(of: "evt-000012345", with: "evt-\(100_000 + i)") }.joined(separator: ",") + "]}"
    }

    func run(into table: inout FigureTable) {
        let single = Data(DecodeBench.event.utf8)
        let batch = Data(DecodeBench.batch.utf8)
        let decoder = EventDecoder()
        precondition((try? decoder.decode(single))?.count == 1, "the benchmark event must be valid")
        precondition((try? decoder.decode(batch))?.count == 100, "the benchmark batch must be valid")

        let herald = Measure.rate(maxIterations: maxIterations, budget: budget) { _ in
            Sink.shared.consume((try? decoder.decode(single))?.count ?? 0)
        }
        table.add("decode", "EventDecoder, one event (\(single.count) B)", herald.microsecondsEach, "µs")
        let heraldBatch = Measure.rate(maxIterations: maxIterations / 100, budget: budget, block: 8) { _ in
            Sink.shared.consume((try? decoder.decode(batch))?.count ?? 0)
        }
        table.add("decode", "EventDecoder, batch of 100, per event", heraldBatch.microsecondsEach / 100, "µs")
        let parse = Measure.rate(maxIterations: maxIterations, budget: budget) { _ in
            Sink.shared.consume((try? JSONParser.parse(single))?.duplicateKeys.count ?? 1)
        }
        table.add("decode", "  of which JSONParser.parse (value + duplicate keys)", parse.microsecondsEach, "µs")
        let timestamp = Measure.rate(maxIterations: maxIterations, budget: budget) { _ in
            Sink.shared.consume(EventDecoder.parseTimestamp("2026-11-23T10:15:00Z") == nil ? 0 : 1)
        }
        table.add("decode", "  of which parseTimestamp (RFC 3339 fast path)", timestamp.microsecondsEach, "µs")
        let serialization = Measure.rate(maxIterations: maxIterations, budget: budget) { _ in
            Sink.shared.consume((try? JSONSerialization.jsonObject(with: single)) == nil ? 0 : 1)
        }
        table.add("decode", "baseline: JSONSerialization.jsonObject", serialization.microsecondsEach, "µs")
        let jsonDecoder = JSONDecoder()
        jsonDecoder.dateDecodingStrategy = .iso8601
        let codable = Measure.rate(maxIterations: maxIterations, budget: budget) { _ in
            Sink.shared.consume((try? jsonDecoder.decode(MetricEvent.self, from: single)) == nil ? 0 : 1)
        }
        table.add("decode", "baseline: JSONDecoder (Codable MetricEvent)", codable.microsecondsEach, "µs")
    }
}
