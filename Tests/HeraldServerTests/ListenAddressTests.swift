import HeraldServer
import Testing

/// Listen addresses parse to numeric host, port and family, or fail with an exact message.
@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080, ListenAddress.Family.ipv4),
        ("0.0.0.0:0", "0.0.0.0", 0, .ipv4),                 // port 0: kernel picks (tests)
        ("[::1]:8080", "::1", 8080, .ipv6),
        ("[::]:65535", "::", 65535, .ipv6),                 // all interfaces, highest port
        ("[fe80::1]:80", "fe80::1", 80, .ipv6),
    ])
    func validAddressesParse(text: String, host: String, port: Int, family: ListenAddress.Family) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.family == family)
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("", "listen address is empty; expected host:port or [ipv6]:port"),
        // No separator at all.
        ("127.0.0.1", "listen address '127.0.0.1' has no port; expected host:port or [ipv6]:port"),
        // Port must be a number in range.
        ("127.0.0.1:http", "port 'http' in listen address '127.0.0.1:http' is not a number from 0 to 65535"),
        ("127.0.0.1:65536", "port '65536' in listen address '127.0.0.1:65536' is not a number from 0 to 65535"),
        ("127.0.0.1:-1", "port '-1' in listen address '127.0.0.1:-1' is not a number from 0 to 65535"),
        ("127.0.0.1:", "port '' in listen address '127.0.0.1:' is not a number from 0 to 65535"),
        // IPv6 needs brackets so the port is unambiguous.
        ("::1:8080", "IPv6 address in listen address '::1:8080' must be in brackets, e.g. '[::1]:8080'"),
        ("[::1]", "listen address '[::1]' has no port after ']'; expected [ipv6]:port"),
        ("[::1:8080", "listen address '[::1:8080' has '[' without a closing ']'"),
        // Hostnames are not resolved.
        ("localhost:8080", "host 'localhost' in listen address 'localhost:8080' is not a numeric IPv4 address or bracketed IPv6 address"),
        ("[127.0.0.1]:80", "host '127.0.0.1' in listen address '[127.0.0.1]:80' is not a numeric IPv4 address or bracketed IPv6 address"),
        ("256.1.1.1:80", "host '256.1.1.1' in listen address '256.1.1.1:80' is not a numeric IPv4 address or bracketed IPv6 address"),
        (":8080", "listen address ':8080' has no host; use 0.0.0.0 or [::] for all interfaces"),
    ])
    func invalidAddressesFailPrecisely(text: String, message: String) {
        #expect(throws: HTTPServerError(.invalidListenAddress, message)) { try ListenAddress(parsing: text) }
    }
}

/// #17 item 14: which listen addresses are loopback-only (no TLS warning) and which expose
/// Herald to the network (warned about at start-up while Herald has no TLS).
struct ListenAddressLoopbackTests {
    @Test(arguments: [("127.0.0.1:8080", true), ("127.10.0.3:1", true), ("[::1]:8080", true),
                      ("0.0.0.0:8080", false), ("[::]:8080", false), ("10.0.0.5:8080", false), ("[fe80::1]:80", false)])
    func loopbackIsOnlyThisMachine(_ text: String, _ loopback: Bool) throws {
        #expect(try ListenAddress(parsing: text).isLoopback == loopback)
    }
}
