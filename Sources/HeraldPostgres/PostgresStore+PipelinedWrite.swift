import Foundation
import HeraldStore

extension PostgresStore {
    /// A guarded, checked write transaction in two round trips instead of three plus one
    /// per statement:
    ///
    /// 1. `BEGIN`, the schema guard (`PostgresSchema.guardSQL`) and the statements
    ///    `checked` queues (those whose answers decide whether the transaction may go on:
    ///    row revisions, claims) as one pipeline; then the guard is checked and `check`
    ///    reads the answers (indices as `checked` got them from the pipeline) and throws to
    ///    refuse — `ROLLBACK` follows.
    /// 2. The statements `rows` queues (what those decisions caused) and `COMMIT` as one
    ///    pipeline: when one of them fails the server skips the rest, COMMIT included, and
    ///    the failure is thrown after a `ROLLBACK`.
    ///
    /// Why two pipelines and not one: the rows of a refused decision must never be
    /// written, not even inside a transaction that rolls back — inserting them can wait
    /// on the unique keys of the very transaction that made the decision stale until that
    /// one ends (and deadlock with it when it waits on this one's rows). The statements run
    /// in the order a one-by-one transaction runs them, and stop where it would stop.
    ///
    /// Same guarantees as `write`: an instance left behind by an upgrade writes nothing,
    /// a serialization failure or deadlock runs it all again.
    ///
    /// Why pipelines: on a busy machine every round trip waits for both processes to be
    /// scheduled; an ingest commit's latency was mostly such waits (Benchmarks/limits.md).
    func pipelinedWrite<Plan>(_ operation: String, checked: (inout PostgresPipeline) -> Plan,
                              check: (Plan, [Result<PostgresResult, PostgresError>]) throws(PostgresError) -> Void,
                              rows: (inout PostgresPipeline) -> Void) throws(StoreError) {
        let version = schemaVersion
        try mapped { () throws(PostgresError) in
            try pool.retrying(operation: operation) { (connection) throws(PostgresError) in
                var first = PostgresPipeline()
                first.append("BEGIN", operation: operation)
                let guardIndex = first.append(PostgresSchema.guardSQL, operation: operation)
                let plan = checked(&first)
                var second = PostgresPipeline()
                rows(&second)
                second.append("COMMIT", operation: operation)
                do throws(PostgresError) {
                    let outcomes = try connection.outcomes(of: first)
                    _ = try outcomes[0].get()
                    let found = try outcomes[guardIndex].get().rows { $0.int(0) }.first ?? 0
                    try PostgresSchema.checkVersion(found: found, expected: version, operation: operation)
                    try check(plan, outcomes)
                    for outcome in outcomes { _ = try outcome.get() }
                    _ = try connection.run(second)
                } catch {
                    if connection.inTransaction && !connection.isBroken { try? connection.execute("ROLLBACK", operation: "rollback") }
                    throw error
                }
            }
        }
    }
}
