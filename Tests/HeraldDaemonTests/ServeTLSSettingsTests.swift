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

    /// Each way a file or variable can fail, with the config path and the source named.
    @Test func everyReadingProblemNamesThePathAndTheSource() throws {
        let pair = try TLSTestCertificate()
        defer { pair.remove() }
        let folder = pair.directory.path
        try Data().write(to: pair.directory.appendingPathComponent("empty.pem"))
        let cases: [(TLSSettings, [String: String], [String])] = [
            // A relative name without LoadCredential= is looked up in the working directory.
            (TLSSettings(certificate: .file("nope.crt"), key: .file(pair.keyFile.path)), [:],
             ["server.tls.certificate: file 'nope.crt' does not exist ($CREDENTIALS_DIRECTORY is not set, so the relative name was looked up in the working directory)"]),
            (TLSSettings(certificate: .file("empty.pem"), key: .file(folder)), ["CREDENTIALS_DIRECTORY": folder],
             ["server.tls.certificate: file '\(folder)/empty.pem' is empty",
              "server.tls.key: '\(folder)' is a directory, not a PEM file"]),
            (TLSSettings(certificate: .environment("HERALD_TLS_CERT"), key: .environmentOrFile("HERALD_TLS_KEY", "herald.key")),
             ["CREDENTIALS_DIRECTORY": folder],
             ["server.tls.certificate: environment variable 'HERALD_TLS_CERT' is not set or empty",
              "server.tls.key: file '\(folder)/herald.key' does not exist"]),
            // Swapped in the config: the message says which half and suggests the swap.
            (TLSSettings(certificate: .file(pair.keyFile.path), key: .file(pair.certificateFile.path)), [:],
             ["server.tls.certificate: file '\(pair.keyFile.path)' is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block (it holds a private key: are certificate and key swapped?)"]),
        ]
        for (settings, environment, expected) in cases {
            #expect(throws: SecretProblems(lines: expected)) { _ = try TLSFiles.load(settings, reader: SecretReader(environment: environment)) }
        }
        // From environment variables (PEM text in a variable works too).
        let fromEnvironment = try TLSFiles.load(TLSSettings(certificate: .environment("C"), key: .environment("K")),
                                                reader: SecretReader(environment: ["C": pair.certificatePEM, "K": pair.keyPEM]))
        #expect(fromEnvironment.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
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
