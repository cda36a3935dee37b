import Glibc

/// A numeric IP address and TCP port to listen on, parsed from `host:port` or `[ipv6]:port`.
///
/// Hostnames are refused on purpose: resolving at start-up would make the bound address
/// depend on DNS, and the operator should see exactly which interface is exposed.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Address family of `host`.
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }

    /// The numeric host without brackets, e.g. `127.0.0.1` or `::1`.
    public let host: String
    /// The TCP port; 0 asks the kernel for a free one (tests).
    public let port: Int
    public let family: Family

    /// Parses `host:port` (IPv4) or `[host]:port` (IPv6), with precise errors.
    public init(parsing text: String) throws(HTTPServerError) {
        let (host, portText) = try Self.split(text)
        guard let port = Int(portText), (0...65535).contains(port), portText.allSatisfy(\.isASCII) else {
            throw Self.invalid("port '\(portText)' in listen address '\(text)' is not a number from 0 to 65535")
        }
        if Self.parses(host, family: AF_INET6) {
            guard text.hasPrefix("[") else {
                throw Self.invalid("IPv6 address in listen address '\(text)' must be in brackets, e.g. '[::1]:8080'")
            }
            self.init(host: host, port: port, family: .ipv6)
        } else if Self.parses(host, family: AF_INET), !text.hasPrefix("[") {
            self.init(host: host, port: port, family: .ipv4)
        } else {
            throw Self.invalid("host '\(host)' in listen address '\(text)' is not a numeric IPv4 address or bracketed IPv6 address")
        }
    }

    private init(host: String, port: Int, family: Family) {
        self.host = host
        self.port = port
        self.family = family
    }

    /// Whether only this machine can connect: 127.0.0.0/8 or ::1. Anything else (a LAN
    /// address, 0.0.0.0, [::]) exposes bearer tokens and events to the network, which
    /// without TLS travel in clear text.
    public var isLoopback: Bool {
        family == .ipv6 ? host == "::1" : host.hasPrefix("127.")
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Splits at the port separator: after `]` for bracketed hosts, else at the last colon.
    private static func split(_ text: String) throws(HTTPServerError) -> (host: String, port: Substring) {
        guard !text.isEmpty else { throw invalid("listen address is empty; expected host:port or [ipv6]:port") }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw invalid("listen address '\(text)' has '[' without a closing ']'")
            }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw invalid("listen address '\(text)' has no port after ']'; expected [ipv6]:port")
            }
            return (String(text[text.index(after: text.startIndex)..<close]), rest.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw invalid("listen address '\(text)' has no port; expected host:port or [ipv6]:port")
        }
        let host = String(text[..<colon])
        if host.contains(":") {
            throw invalid("IPv6 address in listen address '\(text)' must be in brackets, e.g. '[::1]:8080'")
        }
        guard !host.isEmpty else {
            throw invalid("listen address '\(text)' has no host; use 0.0.0.0 or [::] for all interfaces")
        }
        return (host, text[text.index(after: colon)...])
    }

    /// True when `inet_pton` accepts `host` for the family: the C library is the authority
    /// on what a numeric address is.
    private static func parses(_ host: String, family: Int32) -> Bool {
        var buffer = in6_addr()
        return withUnsafeMutableBytes(of: &buffer) { inet_pton(family, host, $0.baseAddress) == 1 }
    }

    private static func invalid(_ message: String) -> HTTPServerError {
        HTTPServerError(.invalidListenAddress, message)
    }
}
