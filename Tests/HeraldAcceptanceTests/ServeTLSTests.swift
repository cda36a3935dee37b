import Foundation
import Testing
import HeraldTestKit

/// #17 item 14: `herald serve` speaks HTTPS with a certificate and key from systemd
/// credentials (`$CREDENTIALS_DIRECTORY`, LoadCredential=), takes a renewed certificate on
/// SIGHUP over the same socket, and refuses a broken one while the old keeps serving.
/// `check --secrets` names every TLS problem with its config path. Real HTTPS over
/// loopback with the curl CLI.
@Suite(.serialized)
struct ServeTLSTests {
    typealias F = ApiFixture

    static let config = """
    {"users": [{"id": "o", "owner": true}],
     "server": {"tls": {"certificate": {"file": "herald.crt"}, "key": {"file": "herald.key"}},
                "tokens": [{"id": "reader", "sha256": "\(F.readerTokenSHA256)", "scopes": ["read"]}]}}
    """

    /// Puts a pair where LoadCredential= would: `herald.crt` and `herald.key`.
    private static func install(_ certificate: String, _ key: String, in directory: URL) throws {
        try certificate.write(to: directory.appendingPathComponent("herald.crt"), atomically: true, encoding: .utf8)
        try key.write(to: directory.appendingPathComponent("herald.key"), atomically: true, encoding: .utf8)
    }

    @Test func servesHTTPSAndTakesARenewedCertificateOnSIGHUP() throws {
        let first = try TLSTestCertificate(), second = try TLSTestCertificate()
        let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("herald-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        defer { first.remove(); second.remove(); try? FileManager.default.removeItem(at: credentials) }
        try Self.install(first.certificatePEM, first.keyPEM, in: credentials)

        let herald = try HeraldProcess(config: Self.config, environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        defer { herald.stop() }
        let base = "https://127.0.0.1:\(herald.port)"
        #expect(herald.logText().contains("tls=true"))
        #expect(try Curl.get("\(base)/healthz", trusting: first).stdout.hasSuffix("\n200"))
        let authorised = try Curl.get("\(base)/v1/episodes", trusting: first, headers: ["Authorization: Bearer \(F.readerToken)"])
        #expect(authorised.stdout.hasSuffix("\n200"), "\(authorised.stdout) \(authorised.stderr)")
        // Plain HTTP on the TLS port gets no HTTP answer.
        let plain = try Curl.get("http://127.0.0.1:\(herald.port)/healthz", trusting: nil)
        #expect(plain.status != 0 && !plain.stdout.contains("ok"))

        // Renewal: new files, SIGHUP; new connections see the new certificate only.
        try Self.install(second.certificatePEM, second.keyPEM, in: credentials)
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("TLS certificate reloaded"))
        #expect(try Curl.get("\(base)/healthz", trusting: second).stdout.hasSuffix("\n200"))
        #expect(try Curl.get("\(base)/healthz", trusting: first).status == 60)

        // A broken renewal (the key of another certificate) is refused; the listener keeps
        // the certificate it has.
        try Self.install(first.certificatePEM, second.keyPEM, in: credentials)
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reload refused: server.tls: the certificate"))
        #expect(try Curl.get("\(base)/healthz", trusting: second).stdout.hasSuffix("\n200"))
        #expect(herald.isRunning)
    }

    @Test func checkSecretsNamesEveryTLSProblem() throws {
        let one = try TLSTestCertificate(), two = try TLSTestCertificate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { one.remove(); two.remove(); try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.json")
        try Self.config.write(to: file, atomically: true, encoding: .utf8)
        let environment = ["CREDENTIALS_DIRECTORY": directory.path]
        func check() throws -> [String] {
            let result = try CommandRunner.herald(["check", "--config", file.path, "--secrets"], environment: environment)
            return result.stderr.split(separator: "\n").map(String.init)
        }
        let crt = directory.appendingPathComponent("herald.crt").path, key = directory.appendingPathComponent("herald.key").path

        // The shape is fine, so plain check passes; --secrets reads the files.
        #expect(try CommandRunner.herald(["check", "--config", file.path], environment: environment).status == 0)
        #expect(try check() == [
            "\(file.path): server.tls.certificate: file '\(crt)' does not exist",
            "\(file.path): server.tls.key: file '\(key)' does not exist",
            "\(file.path): 2 secrets missing or invalid",
        ])

        try Self.install("not a certificate", one.keyPEM, in: directory)
        #expect(try check() == [
            "\(file.path): server.tls.certificate: file '\(crt)' is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block",
            "\(file.path): 1 secret missing or invalid",
        ])

        try Self.install(one.certificatePEM, two.keyPEM, in: directory)
        let mismatch = try check()
        #expect(mismatch.first?.hasPrefix("\(file.path): server.tls: the certificate (file '\(crt)') and key (file '\(key)') cannot be used: GnuTLS cannot use this certificate and key: ") == true, "\(mismatch)")
        #expect(mismatch.first?.lowercased().contains("do not match") == true, "\(mismatch)")

        // serve refuses to start with the same reason.
        let serve = try CommandRunner.herald(["serve", "--config", file.path, "--state-dir", directory.appendingPathComponent("state").path,
                                              "--listen", "127.0.0.1:0"], timeout: 15, environment: environment)
        #expect(serve.status == 1)
        #expect((serve.stdout + serve.stderr).contains("server.tls: the certificate"))

        try Self.install(one.certificatePEM, one.keyPEM, in: directory)
        let ok = try CommandRunner.herald(["check", "--config", file.path, "--secrets"], environment: environment)
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
