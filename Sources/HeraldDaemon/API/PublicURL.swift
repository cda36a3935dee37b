import Foundation
import HeraldServer

/// Where people and gateways reach Herald: the base of the absolute ack links a webhook
/// carries (`<base>/ack/<token>`), which must work when tapped on a phone.
///
/// `server.publicURL` when set (only the operator knows the name a proxy or TLS
/// terminator answers to); otherwise `http(s)://<listen address>` with the port actually
/// bound, so `--listen 127.0.0.1:0` in tests still yields links that work.
///
/// Shared by the evaluation (which writes links into webhook bodies at commit time)
/// and the daemon (which sets it once the port is bound and again on reload), hence a
/// small locked box rather than a value.
final class PublicURL: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String

    /// `base` without a trailing `/`; empty until known, when links stay relative.
    init(_ base: String = "") { value = base }

    var base: String { lock.withLock { value } }

    func set(_ base: String) { lock.withLock { value = base } }

    /// `configured` when set, else the listen address: a wildcard host (`0.0.0.0`, `::`)
    /// is nobody's address, so the machine's host name stands in for it.
    /// `tls`: the listener speaks HTTPS (`server.tls`), so derived links use `https://`.
    static func resolve(configured: String?, listen: ListenAddress?, boundPort: Int, tls: Bool = false,
                        hostName: String = ProcessInfo.processInfo.hostName) -> String {
        if let configured { return configured }
        let scheme = tls ? "https" : "http"
        guard let listen else { return "\(scheme)://\(hostName):\(boundPort)" }
        let host: String
        switch listen.host {
        case "0.0.0.0", "::": host = hostName
        default: host = listen.family == .ipv6 ? "[\(listen.host)]" : listen.host
        }
        return "\(scheme)://\(host):\(boundPort)"
    }
}
