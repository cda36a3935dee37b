import Foundation
import HeraldCore
import HeraldDelivery

/// What a target's format needs at run time: the URL and header values from secret
/// sources, its rate, whether it must be signed, and a PagerDuty routing key.
extension RuntimeConfig {
    /// Fills `settings` from `target`'s channel settings; returns its routing key, if
    /// any. A URL read from a secret is checked but never quoted in an error: it is the
    /// receiver's credential.
    static func channelSettings(for target: TargetDefinition, into settings: inout TargetSettings,
                                reader: SecretReader) throws(SecretProblems) -> String? {
        var problems: [String] = []
        func read(_ source: SecretSource) -> String? {
            do {
                return try reader.read(source).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                problems.append(error.message)
                return nil
            }
        }
        if let source = target.urlSource, let text = read(source) {
            if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
               url.host?.isEmpty == false {
                settings.url = url
            } else {
                problems.append("url from \(source) is not an http or https URL")
            }
        }
        for (name, source) in target.secretHeaders.sorted(by: { $0.key < $1.key }) {
            guard let value = read(source) else { continue }
            if value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) {
                problems.append("header '\(name)' from \(source) contains a line break")
            } else {
                settings.headers.append((name, value))
            }
        }
        settings.requiresSignature = target.format.requiresSecrets
        let answers = target.format.answers
        settings.responseRules = ResponseRules(deadLetterStatuses: answers.deadLetter, retryAfterBodyMember: answers.retryAfterBodyMember,
                                               rateLimitWait: answers.rateLimitWait)
        settings.minInterval = target.rate?.interval
        let routingKey = target.channel.routingKey.flatMap(read)
        guard problems.isEmpty else { throw SecretProblems(lines: problems) }
        return routingKey
    }
}
