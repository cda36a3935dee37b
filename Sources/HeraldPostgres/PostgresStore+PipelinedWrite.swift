import Foundation
import HeraldStore

extension PostgresStore {
    /// A guarded write transaction in two round trips instead of three plus one per
    /// statement: `BEGIN`, the schema guard (`PostgresSchema.guardSQL`) and every
    /// statement `queue` adds go to the server as one pipeline; then the guard is checked,
    /// `check` reads the answers (indices as `queue` got them from the pipeline) and
    /// decides, and `COMMIT` follows — or `ROLLBACK` after any failure. Same guarantees as
    /// `write`: an instance left behind by an upgrade writes nothing (its statements ran
    /// but roll back), a serialization failure or deadlock runs it all again.
    ///
    /// Why: on a busy machine every round trip waits for both processes to be scheduled;
    /// an ingest commit's latency was mostly such waits (Benchmarks/limits.md).
    func pipelinedWrite<Plan, T>(_ operation: String, queue: (inout PostgresPipeline) -> Plan,
                                 check: (Plan, [Result<PostgresResult, PostgresError>]) throws(PostgresError) -> T) throws(StoreError) -> T {
        let version = schemaVersion
        return try mapped { () throws(PostgresError) in
            try pool.retrying(operation: operation) { (connection) throws(PostgresError) in
                var pipeline = PostgresPipeline()
                pipeline.append("BEGIN", operation: operation)
                let guardIndex = pipeline.append(PostgresSchema.guardSQL, operation: operation)
                let plan = queue(&pipeline)
                do throws(PostgresError) {
                    let outcomes = try connection.outcomes(of: pipeline)
                    _ = try outcomes[0].get()
                    let found = try outcomes[guardIndex].get().rows { $0.int(0) }.first ?? 0
                    try PostgresSchema.checkVersion(found: found, expected: version, operation: operation)
                    let value = try check(plan, outcomes)
                    try connection.execute("COMMIT", operation: operation)
                    return value
                } catch {
                    if connection.inTransaction && !connection.isBroken { try? connection.execute("ROLLBACK", operation: "rollback") }
                    throw error
                }
            }
        }
    }
}
