import Foundation
import Testing
import HeraldServer
@testable import HeraldDaemon

/// Ack links are tapped on phones, so their base must be an address people can reach:
/// the configured `server.publicURL`, else the listen address with the port bound.
struct PublicURLTests {
    @Test(arguments: [
        // (configured, listen, bound port, expected)
        // The operator's setting wins over everything.
        ("https://herald.example.org", "127.0.0.1:8080", 8080, "https://herald.example.org"),
        // Derived: the bound port, not the requested 0.
        (nil, "127.0.0.1:0", 40123, "http://127.0.0.1:40123"),
        // IPv6 literals are bracketed in URLs (RFC 3986 §3.2.2).
        (nil, "[::1]:8080", 8080, "http://[::1]:8080"),
        // A wildcard is nobody's address: the host name stands in.
        (nil, "0.0.0.0:8080", 8080, "http://pager-host:8080"),
        (nil, "[::]:8080", 8080, "http://pager-host:8080"),
    ] as [(String?, String, Int, String)])
    func theBaseIsTheSettingOrTheListenAddress(_ configured: String?, _ listen: String, _ port: Int, _ expected: String) throws {
        let address = try ListenAddress(parsing: listen)
        #expect(PublicURL.resolve(configured: configured, listen: address, boundPort: port, hostName: "pager-host") == expected)
    }

    /// With `server.tls` the derived links are https, like the listener (#17 item 14).
    @Test func aTLSListenerGivesHTTPSLinks() throws {
        let address = try ListenAddress(parsing: "127.0.0.1:0")
        #expect(PublicURL.resolve(configured: nil, listen: address, boundPort: 8443, tls: true, hostName: "h") == "https://127.0.0.1:8443")
        #expect(PublicURL.resolve(configured: nil, listen: nil, boundPort: 8443, tls: true, hostName: "h") == "https://h:8443")
    }

    /// A socket passed by systemd has no listen address in the config to show.
    @Test func anInheritedSocketUsesTheHostName() {
        #expect(PublicURL.resolve(configured: nil, listen: nil, boundPort: 9000, hostName: "h") == "http://h:9000")
    }
}
