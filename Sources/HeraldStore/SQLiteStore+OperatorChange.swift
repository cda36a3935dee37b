public import Foundation

extension SQLiteStore {
    /// One operator's change and the audit record naming who made it, in one transaction
    /// (the record is written only when the change changed something).
    @discardableResult
    public func applyOperatorChange(_ change: OperatorChange, audit: AuditRecord) throws(StoreError) -> Bool {
        try performTransaction("operator change") { (connection) throws(StoreError) in
            let changed = switch change {
            case .addSilence(let record): try SilenceSQL.add(record, connection)
            case .replaceSilence(let record): try SilenceSQL.replace(record, connection)
            case .deleteSilence(let id): try SilenceSQL.delete(id: id, connection)
            case .requeueDeadLetter(let deliveryID, let now): try Self.requeueDeadLetter(deliveryID: deliveryID, now: now, connection)
            }
            guard changed else { return false }
            try connection.run(CommitSQL.insertAudit, CommitSQL.auditValues(audit, stored: CompactJSON.encode(audit.payload, known: audit.notificationID)), operation: "operator change audit")
            return true
        }
    }
}
