public import Foundation

/// The rule-state writes of one transaction, reduced to one checked write per row.
///
/// Batches in a group build on each other (the evaluator applies them to its memory in
/// order), so a row touched by several batches must chain: each write is based on the
/// revision the one before it made. Only the first write's base is checked against the
/// stored row; the row is written once, with the last write's result. Rows come out
/// sorted by key: the order every store takes row locks in, so two processes committing
/// overlapping rows cannot deadlock each other.
public struct RuleStateWrites: Sendable {
    /// One row's net change.
    public struct Row: Sendable, Equatable {
        public var key: RuleStateRowKey
        /// The revision the stored row must have now (0: there must be no row).
        public var base: Int64
        /// The row as it is to be stored (its `revision` the stored value), or nil to
        /// delete it.
        public var final: RuleStateRecord?
    }

    /// Sorted by rule id, then subject id (byte order, as both stores compare them).
    public let rows: [Row]

    /// Reduces `batches`, in order (a batch's deletes after its upserts). Throws
    /// `conflict` when a write is not based on the one before it in the same group.
    public init(_ batches: [CommitBatch]) throws(StoreError) {
        var net: [RuleStateRowKey: Row] = [:]
        func apply(_ key: RuleStateRowKey, base: Int64, final: RuleStateRecord?) throws(StoreError) {
            guard var row = net[key] else {
                net[key] = Row(key: key, base: base, final: final)
                return
            }
            let expected = row.final?.revision ?? 0
            guard base == expected else {
                throw Self.conflict(key, stored: expected, based: base, operation: "commit")
            }
            row.final = final
            net[key] = row
        }
        for batch in batches {
            for upsert in batch.ruleStateUpserts {
                var stored = upsert
                stored.revision = upsert.revision + 1
                try apply(upsert.key, base: upsert.revision, final: stored)
            }
            for deletion in batch.ruleStateDeletes {
                try apply(deletion.key, base: deletion.revision, final: nil)
            }
        }
        rows = net.values.sorted {
            ($0.key.ruleID.utf8.lexicographicallyPrecedes($1.key.ruleID.utf8))
                || ($0.key.ruleID == $1.key.ruleID && $0.key.subjectID.utf8.lexicographicallyPrecedes($1.key.subjectID.utf8))
        }
    }

    /// The error of a write whose base is not the stored revision.
    public static func conflict(_ key: RuleStateRowKey, stored: Int64?, based: Int64, operation: String) -> StoreError {
        let found = stored.map { $0 == 0 ? "no row" : "revision \($0)" } ?? "another revision"
        return StoreError(code: .conflict, operation: operation,
                          message: "rule state (\(key.ruleID), \(key.subjectID)) changed since it was read: based on \(based == 0 ? "no row" : "revision \(based)"), found \(found)")
    }

    /// The error of an event id already accepted.
    public static func alreadySeen(_ eventID: String, operation: String) -> StoreError {
        StoreError(code: .conflict, operation: operation, message: "event id \(eventID) was already accepted")
    }

    /// The batches' seen event ids, sorted (the order claims are taken in, like row
    /// locks) and without repeats inside the group (a repeat is a conflict).
    public static func seenEvents(_ batches: [CommitBatch], operation: String) throws(StoreError) -> [SeenEventRecord] {
        var seen: [String: SeenEventRecord] = [:]
        for batch in batches {
            for record in batch.seenEvents {
                guard seen.updateValue(record, forKey: record.eventID) == nil else {
                    throw alreadySeen(record.eventID, operation: operation)
                }
            }
        }
        return seen.values.sorted { $0.eventID.utf8.lexicographicallyPrecedes($1.eventID.utf8) }
    }
}
