/// How the bridges (`POST /v1/bridges/alertmanager`, `/v1/bridges/grafana`) turn the
/// alerts other monitoring systems send into Herald events, as written in the config's
/// `bridges` section. Every field has a default, so a config without the section still
/// accepts both bridges with a token holding `events:write`.

/// One place in an alert where a bridge reads a value: a label or an annotation.
public enum AlertField: Sendable, Equatable, CustomStringConvertible {
    case label(String)
    case annotation(String)

    /// `label 'instance'`, as refusal messages name it.
    public var description: String {
        switch self {
        case .label(let name): "label '\(name)'"
        case .annotation(let name): "annotation '\(name)'"
        }
    }

    /// The JSON path of the field inside one alert (`labels.instance`).
    func path(in alert: JSONPath) -> JSONPath {
        switch self {
        case .label(let name): alert.appending("labels").appending(name)
        case .annotation(let name): alert.appending("annotations").appending(name)
        }
    }
}

/// How one alert becomes a `MetricEvent`; shared by both bridges.
public struct AlertMapping: Sendable, Equatable {
    /// The metric name; Alertmanager and Grafana both name an alert by `alertname`.
    public var metric: AlertField = .label("alertname")
    /// The subject id; nil: the alert's `fingerprint` (a hash of its label set, stable per series).
    public var subjectID: AlertField?
    public var subjectName: AlertField?
    public var subjectType: AlertField?
    /// Where a firing alert's number is written. Neither system sends a value of its own
    /// (Grafana's `values` aside), so rule authors template one: `value: '{{ $value }}'`.
    public var value: AlertField = .annotation("value")
    /// The value of a firing alert that carries none: enough to reach a tier at 1.
    public var firingValue: Double = 1
    /// The value of every resolved alert: below the lowest tier, so the episode resolves.
    /// (A resolved alert's `value` annotation still holds the last firing value.)
    public var resolvedValue: Double = 0
    /// Relation name → the label or annotation holding the user id, e.g.
    /// `primary_coordinator` → `label 'coordinator'`. Absent in an alert: no relation.
    public var relations: [String: AlertField] = [:]

    public init() {}
}

/// Who may post to a bridge: a bearer token with `scope`, and, when configured, HTTP
/// basic auth (Alertmanager's `http_config.basic_auth`, Grafana's basic auth user).
public struct BridgeAuth: Sendable, Equatable {
    public struct Basic: Sendable, Equatable {
        public let username: String
        public let password: SecretSource

        public init(username: String, password: SecretSource) {
            self.username = username
            self.password = password
        }
    }

    public var scope: TokenDefinition.Scope = .eventsWrite
    public var basic: Basic?

    public init() {}
}

/// `bridges.alertmanager`.
public struct AlertmanagerBridgeSettings: Sendable, Equatable {
    public var mapping = AlertMapping()
    public var auth = BridgeAuth()

    public init() {}
}

/// Grafana's optional HMAC signature (`hmacConfig` of its webhook contact point): hex
/// HMAC-SHA256 of `timestamp:body` (or of the body when no timestamp header is set).
public struct GrafanaHMAC: Sendable, Equatable {
    /// Grafana's code sends `X-Grafana-Alert-Signature` by default while its UI suggests
    /// `X-Grafana-Alerting-Signature`; with no header configured both are looked for.
    public static let defaultHeaders = ["X-Grafana-Alert-Signature", "X-Grafana-Alerting-Signature"]
    /// How far a signed timestamp may be from Herald's clock: replays older than this are refused.
    public static let defaultTolerance = Duration(seconds: 300)

    public var secret: SecretSource
    public var header: String?
    /// The header carrying the Unix time that was signed; nil: only the body is signed.
    public var timestampHeader: String?
    public var tolerance: Duration = GrafanaHMAC.defaultTolerance

    public init(secret: SecretSource, header: String? = nil, timestampHeader: String? = nil,
                tolerance: Duration = GrafanaHMAC.defaultTolerance) {
        self.secret = secret
        self.header = header
        self.timestampHeader = timestampHeader
        self.tolerance = tolerance
    }

    /// The header names a signature is looked for under.
    public var signatureHeaders: [String] { header.map { [$0] } ?? GrafanaHMAC.defaultHeaders }
}

/// `bridges.grafana`.
public struct GrafanaBridgeSettings: Sendable, Equatable {
    /// Grafana's new alert rules name the threshold expression `C`, the rule's condition.
    public static let defaultConditionRef = "C"

    public var mapping = AlertMapping()
    public var auth = BridgeAuth()
    /// The query whose number becomes the value (`values[valueRef]`); nil: the only
    /// value when there is one, else the condition's.
    public var valueRef: String?
    public var conditionRef: String = GrafanaBridgeSettings.defaultConditionRef
    public var hmac: GrafanaHMAC?

    public init() {}
}

/// The config's `bridges` section.
public struct BridgeSettings: Sendable, Equatable {
    public var alertmanager = AlertmanagerBridgeSettings()
    public var grafana = GrafanaBridgeSettings()

    public init() {}
}
