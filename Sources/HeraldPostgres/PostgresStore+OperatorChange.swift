public import Foundation
public import HeraldStore

extension PostgresStore {
    /// One operator's change and the audit record naming who made it, in one transaction
    /// (the record is written only when the change changed something).
    @discardableResult
    public func applyOperatorChange(_ change: OperatorChange, audit: AuditRecord) throws(StoreError) -> Bool {
        try write("operator change") { (connection) throws(PostgresError) in
            let changed = switch change {
            case .addSilence(let record): try Self.addSilence(record, connection)
            case .replaceSilence(let record): try Self.replaceSilence(record, connection)
            case .deleteSilence(let id): try Self.deleteSilence(id: id, connection)
            case .requeueDeadLetter(let deliveryID, let now): try Self.requeueDeadLetter(deliveryID: deliveryID, now: now, connection)
            }
            guard changed else { return false }
            try connection.run(CommitRows.insertAudit, CommitRows.auditValues([audit]), operation: "operator change audit")
            return true
        }
    }
}
