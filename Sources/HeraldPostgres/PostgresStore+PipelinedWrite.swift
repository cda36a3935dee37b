import Foundation
import HeraldStore

extension PostgresStore {
    /// A guarded, checked write transaction in ONE round trip instead of one per
    /// statement: `BEGIN`, the schema guard (`PostgresSchema.guardSQL`), the statements
    /// `statements` queues, and `COMMIT`, sent as one pipeline.
    ///
    /// The checks happen on the server: the guard raises HR426 when the schema is not
    /// this code's, and a checked statement (a row revision, a claim) raises HR409 through
    /// `herald_conflict` when it finds what it was based on changed. The server then skips
    /// every statement after it, COMMIT included, so the rows of a refused decision never
    /// run — not even inside a transaction that rolls back: inserting them could wait on
    /// the unique keys of the very transaction that made the decision stale until that
    /// one ends (`CommitRuleStatesTests` pins it). The first failure is thrown after a
    /// `ROLLBACK`; statements run in the order a one-by-one transaction runs them, and
    /// stop where it would stop.
    ///
    /// Same guarantees as `write`: an instance left behind by an upgrade writes nothing,
    /// a serialization failure or deadlock runs it all again.
    ///
    /// Why one round trip: on a busy machine every round trip waits for both processes
    /// to be scheduled; an ingest commit's latency was mostly such waits, and a group of
    /// single events waits for the whole commit (Benchmarks/limits.md).
    func pipelinedWrite(_ operation: String, statements: (inout PostgresPipeline) -> Void) throws(StoreError) {
        let version = schemaVersion
        try mapped { () throws(PostgresError) in
            try pool.retrying(operation: operation) { (connection) throws(PostgresError) in
                var pipeline = PostgresPipeline()
                pipeline.append("BEGIN", operation: operation)
                pipeline.append(PostgresSchema.guardSQL, [.integer(Int64(version))], operation: operation)
                statements(&pipeline)
                pipeline.append("COMMIT", operation: operation)
                do throws(PostgresError) {
                    _ = try connection.run(pipeline)
                } catch {
                    if connection.inTransaction && !connection.isBroken { try? connection.execute("ROLLBACK", operation: "rollback") }
                    throw error
                }
            }
        }
    }
}
