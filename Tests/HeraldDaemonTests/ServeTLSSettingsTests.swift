import Foundation
import Testing
import HeraldCore
import HeraldServer
import HeraldTestKit
@testable import HeraldDaemon

/// #17 item 14: what `serve` does with `server.tls` before anything listens.
@Suite struct ServeTLSSettingsTests {
    /// Clear text on an address other hosts can reach is warned about; TLS or loopback is not.
    @Test(arguments: [
        ("0.0.0.0:8080", false, true),
        ("[::]:8080", false, true),
        ("192.0.2.10:8080", false, true),
        ("0.0.0.0:8443", true, false),    // TLS: nothing travels in clear text
        ("127.0.0.1:8080", false, false), // loopback: a local proxy takes the network
        ("[::1]:8080", false, false),
    ])
    func clearTextOnANetworkAddressIsWarnedAbout(_ listen: String, _ tls: Bool, _ warned: Bool) {
        #expect((Daemon.clearTextWarning(listen: listen, tls: tls) != nil) == warned)
    }

    /// The certificate and key are read from `$CREDENTIALS_DIRECTORY` and kept when a SCIM
    /// change swaps the directory, with the routing keys and bridge credentials (before,
    /// `replacing` dropped routing keys and bridge credentials).
    @Test func credentialsAreReadAndSurviveADirectorySwap() throws {
        let pair = try TLSTestCertificate()
        defer { pair.remove() }
        try FileManager.default.copyItem(at: pair.certificateFile, to: pair.directory.appendingPathComponent("herald.crt"))
        try FileManager.default.copyItem(at: pair.keyFile, to: pair.directory.appendingPathComponent("herald.key"))
        let config = pair.directory.appendingPathComponent("config.json")
        try #"""
        {"users": [{"id": "o", "owner": true}],
         "targets": [{"id": "pd", "url": "https://events.pagerduty.com/v2/enqueue", "format": "pagerduty", "routingKey": {"env": "PD_KEY"}}],
         "server": {"tls": {"certificate": {"file": "herald.crt"}, "key": {"file": "herald.key"}}}}
        """#.write(to: config, atomically: true, encoding: .utf8)
        let reader = SecretReader(environment: ["CREDENTIALS_DIRECTORY": pair.directory.path, "PD_KEY": "R0UTINGKEY"])
        let runtime = try RuntimeConfig.load(path: config.path, reader: reader)
        #expect(runtime.tls?.certificatePEM == pair.certificatePEM)
        #expect(runtime.tls?.keyPEM == pair.keyPEM)
        let swapped = runtime.replacing(runtime.config)
        #expect(swapped.tls == runtime.tls)
        #expect(swapped.routingKeys == runtime.routingKeys)
        #expect(swapped.routingKeys["pd"] == "R0UTINGKEY")
    }
}
