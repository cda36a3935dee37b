import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer

/// A config ready to run: the validated `HeraldConfig` plus what needed I/O to
/// prepare — signing secrets and API token hashes. Built off the hot path (start-up,
/// SIGHUP) and swapped in whole.
struct RuntimeConfig: Sendable {
    let config: HeraldConfig
    let tokens: TokenTable
    /// Target id → delivery settings with parsed secrets (URL filled in per message).
    let targets: [String: TargetSettings]
    /// Signs and checks ack links, with keys derived from the targets' secrets.
    let ackLinks: AckLinkSigner
    /// Target id → its PagerDuty routing key, read from the target's secret source.
    var routingKeys: [String: String] = [:]
    /// Basic-auth digests and Grafana's HMAC key for the bridges.
    var bridges = BridgeCredentials.none
    /// The listener's certificate and key (`server.tls`), read and checked; nil: plain HTTP.
    var tls: TLSCredentials?
    /// `store.postgresql.url` read from its secret source; nil for the SQLite store. Read
    /// at start only: the store is not switched by a reload.
    var databaseURL: String?
    /// SHA-256 (hex) of the config file's bytes as read: instances sharing a store
    /// compare it (`ConfigAgreement`).
    var configHash = ""
    /// The file it was read from, for reload.
    let path: String

    /// The same runtime with another config (a SCIM change swaps the directory only);
    /// everything read from secrets — routing keys, bridge credentials, TLS, database URL — is kept.
    func replacing(_ config: HeraldConfig) -> RuntimeConfig {
        RuntimeConfig(config: config, tokens: tokens, targets: targets, ackLinks: ackLinks, routingKeys: routingKeys,
                      bridges: bridges, tls: tls, databaseURL: databaseURL, configHash: configHash, path: path)
    }

    /// Reads and validates the config file and its secrets; every problem is reported.
    static func load(path: String, reader: SecretReader = SecretReader()) throws(RuntimeConfigError) -> RuntimeConfig {
        let (config, bytes) = try loadConfigAndBytes(path: path)
        var problems: [String] = []
        if let issue = ListenCheck.issue(config) { problems.append("\(path): \(issue.description)") }
        let tokens: TokenTable
        do {
            tokens = try TokenTable(config.server.tokens, reader: reader)
        } catch {
            problems += error.lines
            tokens = .empty
        }
        var targets: [String: TargetSettings] = [:]
        var keys: [String: [[UInt8]]] = [:]
        var routingKeys: [String: String] = [:]
        for target in config.targets {
            do {
                var (settings, secretKeys) = try settings(for: target, reader: reader)
                routingKeys[target.id] = try channelSettings(for: target, into: &settings, reader: reader)
                (targets[target.id], keys[target.id]) = (settings, secretKeys)
            } catch {
                problems += error.lines.map { "target '\(target.id)': \($0)" }
            }
        }
        var bridges = BridgeCredentials.none
        do {
            bridges = try BridgeCredentials(config.bridges, reader: reader)
        } catch {
            problems += error.lines
        }
        var tls: TLSCredentials?
        if let settings = config.server.tls {
            do {
                tls = try TLSFiles.load(settings, reader: reader)
            } catch {
                problems += error.lines
            }
        }
        var databaseURL: String?
        if let postgres = config.store.postgres {
            do {
                databaseURL = try reader.read(postgres.url)
            } catch {
                problems.append("store.postgresql.url: \(error.message)")
            }
        }
        guard problems.isEmpty else { throw RuntimeConfigError(lines: problems) }
        return RuntimeConfig(config: config, tokens: tokens, targets: targets, ackLinks: AckLinkSigner(secretKeys: keys),
                             routingKeys: routingKeys, bridges: bridges, tls: tls, databaseURL: databaseURL,
                             configHash: Digest.sha256Hex(Array(bytes)), path: path)
    }

    /// Reads and validates the config file alone (no secrets), e.g. for CLI checks.
    static func loadConfigOnly(path: String) throws(RuntimeConfigError) -> HeraldConfig {
        try loadConfigAndBytes(path: path).config
    }

    /// The validated config and the file's bytes it came from.
    private static func loadConfigAndBytes(path: String) throws(RuntimeConfigError) -> (config: HeraldConfig, bytes: Data) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RuntimeConfigError(lines: ["cannot read config '\(path)': \(error.localizedDescription)"])
        }
        do {
            return (try ConfigLoader.load(data, readFiles: DirectoryFileGlob.reader(forConfigAt: path)), data)
        } catch {
            throw RuntimeConfigError(lines: error.issues.map { "\($0.file ?? path):\($0.position == nil ? " " : "")\($0.description)" })
        }
    }

    /// The target's delivery settings, and its secrets' key bytes (for `AckLinkSigner`).
    private static func settings(for target: TargetDefinition, reader: SecretReader) throws(SecretProblems) -> (TargetSettings, [[UInt8]]) {
        var secrets: [WebhookSecret] = []
        var keys: [[UInt8]] = []
        var problems: [String] = []
        for source in target.secrets {
            let text: String
            do {
                text = try reader.read(source)
            } catch {
                problems.append(error.message)
                continue
            }
            do {
                secrets.append(try WebhookSecret(parsing: text))
                // Parsed above, so the base64 after `whsec_` is valid.
                keys.append(Array(Data(base64Encoded: String(text.dropFirst(WebhookSecret.prefix.count))) ?? Data()))
            } catch {
                problems.append("secret from \(source) is not a valid whsec_ secret (\(error.code))")
            }
        }
        // A URL from a secret source is filled in by `channelSettings`; never print it.
        guard let url = URL(string: target.urlSource == nil ? target.url : "http://127.0.0.1/") else {
            throw SecretProblems(lines: problems + ["url '\(target.url)' cannot be parsed"])
        }
        guard problems.isEmpty else { throw SecretProblems(lines: problems) }
        return (TargetSettings(name: target.id, url: url, headers: target.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                              secrets: secrets, timeout: target.timeout.seconds, connectTimeout: target.connectTimeout.seconds,
                              maxConcurrent: target.maxConcurrent, maxAttempts: target.maxAttempts, maxAge: target.maxAge.seconds,
                              schedule: target.retrySchedule.map(\.seconds)), keys)
    }
}

/// Why a config could not be made ready; one line per problem, each with its place.
struct RuntimeConfigError: Error, CustomStringConvertible {
    let lines: [String]
    var description: String { lines.joined(separator: "\n") }
}

/// Holds the current `RuntimeConfig`; readers take a snapshot, reload swaps it.
final class ConfigHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var current: RuntimeConfig

    init(_ config: RuntimeConfig) { current = config }

    var snapshot: RuntimeConfig { lock.withLock { current } }

    func replace(with config: RuntimeConfig) { lock.withLock { current = config } }
}
