public import Foundation

/// One rendered request for a receiver: what `HeraldDelivery` sends, without knowing
/// the format.
public struct ChannelRequest: Sendable, Equatable {
    public let body: Data
    public let contentType: String
    /// Headers the format needs (ntfy has none in JSON mode; kept for formats that do).
    public let headers: [ChannelHeader]
    /// Query parameters added to the target URL (Google Chat's `requestId`, …).
    public let query: [ChannelHeader]
    /// The receiver's de-duplication key, when it has one: PagerDuty's `dedup_key`,
    /// Google Chat's `requestId`; else the delivery id (the `webhook-id`).
    public let idempotencyKey: String

    public init(body: Data, contentType: String = "application/json", headers: [ChannelHeader] = [],
                query: [ChannelHeader] = [], idempotencyKey: String) {
        self.body = body
        self.contentType = contentType
        self.headers = headers
        self.query = query
        self.idempotencyKey = idempotencyKey
    }
}

/// A name and value (a header line or a query parameter).
public struct ChannelHeader: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Why a notice could not be rendered for a target; the delivery becomes a dead letter
/// with this message (nothing the receiver could fix by a retry).
public struct ChannelRenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable code, also the log key.
    public let code: String
    public let message: String

    public var description: String { message }

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    static func missing(_ what: String) -> ChannelRenderError {
        ChannelRenderError(code: "channel_destination_missing", message: what)
    }
}
