import Foundation
import HeraldCore

/// One episode as people and programs see it — the ack page, `GET /v1/episodes` and the
/// operator UI all read this, so they never disagree about where an episode stands.
/// Built from the evaluation state (the truth about episodes), not from the audit log.
struct EpisodeView: Sendable {
    /// Where an episode stands; also the `state` filter of `GET /v1/episodes`.
    enum Standing: String, Sendable, CaseIterable {
        case open, acknowledged, resolved
    }

    let id: String
    let key: RuleStateKey
    let state: RuleState
    let ruleName: String
    let tierName: String?
    let standing: Standing

    init(key: RuleStateKey, state: RuleState, config: HeraldConfig) {
        self.key = key
        self.state = state
        id = state.episodeID(for: key)
        let rule = config.rule(id: key.ruleID)
        ruleName = rule?.name ?? key.ruleID
        tierName = state.tier.flatMap { index in rule.flatMap { index < $0.tiers.count ? $0.tiers[index].name : nil } }
        standing = state.tier == nil ? .resolved : (state.isAcknowledged ? .acknowledged : .open)
    }

    /// The subject's name from its last event, else its id.
    var subjectName: String? { state.lastEvent?.subject.name }

    /// "Name (id)", or the id alone.
    var subjectLabel: String { subjectName.map { "\($0) (\(key.subjectID))" } ?? key.subjectID }

    /// Every episode the state still knows (current or last per rule and subject),
    /// newest start first, then by rule and subject so the order is stable.
    static func all(_ state: EvaluationState, config: HeraldConfig) -> [EpisodeView] {
        state.rules.compactMap { key, ruleState in
            ruleState.episode > 0 ? EpisodeView(key: key, state: ruleState, config: config) : nil
        }.sorted { a, b in
            let (ta, tb) = (a.state.episodeStartedAt ?? .distantPast, b.state.episodeStartedAt ?? .distantPast)
            return ta != tb ? ta > tb : a.key < b.key
        }
    }

    /// "Name (id)" of a user id, for lists of who was told.
    static func person(_ id: String, in directory: Directory) -> String {
        directory.user(id).map { "\(directory.users[$0].name) (\(id))" } ?? id
    }

    /// `2026-12-06 23:30:05 UTC`: people read this, machines get RFC 3339 in the API.
    static func readable(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    /// A value as people write it: no `.0` on whole numbers.
    static func readable(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
