import Foundation
import HeraldServer
import HeraldSupport
import HeraldTestKit
import Testing

/// #17 item 14: the listener speaks TLS with a PEM certificate and key, refuses plain HTTP
/// on that port cleanly, and takes a new certificate without closing the socket while a
/// request in flight on the old one finishes. Real HTTPS over loopback with the `curl` CLI,
/// certificates made by the `openssl` CLI for each test.
@Suite(.serialized) struct HTTPServerTLSTests {
    @Test func servesHTTPSWithTheConfiguredCertificate() throws {
        let pair = try TestCertificate()
        try withTLSServer(pair.credentials, ClosureHandler.fixed(.text("over tls"))) { server in
            let ok = try Curl.get("https://127.0.0.1:\(server.boundPort)/x", trusting: pair)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout == "over tls\n200")
            // Without the certificate as trust anchor, curl refuses it (60: peer certificate
            // cannot be authenticated): the listener really presents this certificate.
            #expect(try Curl.get("https://127.0.0.1:\(server.boundPort)/x", trusting: nil).status == 60)
        }
    }

    /// A client speaking plain HTTP to the TLS port gets no HTTP answer and a closed
    /// connection, and the listener keeps serving HTTPS afterwards.
    @Test func plainHTTPToTheTLSPortFailsCleanly() throws {
        let pair = try TestCertificate()
        try withTLSServer(pair.credentials, ClosureHandler.fixed(.text("over tls"))) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            _ = connection.send(getRequest("/x"))
            #expect(connection.read(timeout: 5) == .closed)
            let plain = try Curl.get("http://127.0.0.1:\(server.boundPort)/x", trusting: nil)
            #expect(plain.status != 0)
            #expect(!plain.stdout.contains("over tls"))
            #expect(try Curl.get("https://127.0.0.1:\(server.boundPort)/x", trusting: pair).stdout == "over tls\n200")
        }
    }

    /// Reload: a request in flight on the old certificate gets its answer; connections made
    /// after `replaceTLS` see only the new certificate; the port never changes and the old
    /// listener is gone once its connection is.
    @Test func replaceTLSServesTheNewCertificateWhileAnInFlightRequestFinishes() throws {
        let old = try TestCertificate(), new = try TestCertificate()
        let held = Locked<HTTPResponder?>(nil)
        let handler = ClosureHandler { request, respond in
            if request.path == "/slow" { held.withValue { $0 = respond } } else { respond(.text("fast")) }
        }
        try withTLSServer(old.credentials, handler) { server in
            let port = server.boundPort
            let slow = Locked<Curl.Result?>(nil)
            DispatchQueue.global().async {
                let result = try? Curl.get("https://127.0.0.1:\(port)/slow", trusting: old)
                slow.withValue { $0 = result }
            }
            #expect(eventually(timeout: 10) { held.current != nil })

            try server.replaceTLS(with: new.credentials)
            #expect(server.boundPort == port)
            #expect(server.retiringListeners == 1)
            let fresh = try Curl.get("https://127.0.0.1:\(port)/fast", trusting: new)
            #expect(fresh.stdout == "fast\n200", "\(fresh.stderr)")
            #expect(try Curl.get("https://127.0.0.1:\(port)/fast", trusting: old).status == 60)

            held.current?(.text("finished on the old listener"))
            #expect(eventually(timeout: 10) { slow.current != nil })
            #expect(slow.current?.stdout == "finished on the old listener\n200")
            #expect(eventually(timeout: 10) { server.retiringListeners == 0 })
            #expect(try Curl.get("https://127.0.0.1:\(port)/fast", trusting: new).stdout == "fast\n200")
        }
    }

    /// A key that does not match the certificate: the new listener cannot start, the
    /// error says so, and the old listener keeps serving with its certificate.
    @Test func replaceTLSWithAMismatchedKeyKeepsTheOldListener() throws {
        let old = try TestCertificate(), other = try TestCertificate()
        try withTLSServer(old.credentials, ClosureHandler.fixed(.text("still here"))) { server in
            let mismatched = try TLSCredentials(certificatePEM: other.credentials.certificatePEM, keyPEM: old.credentials.keyPEM)
            #expect(throws: HTTPServerError.self) { try server.replaceTLS(with: mismatched) }
            #expect(server.retiringListeners == 0)
            #expect(try Curl.get("https://127.0.0.1:\(server.boundPort)/", trusting: old).stdout == "still here\n200")
        }
    }

    /// Plain HTTP and TLS swap both ways on the same socket.
    @Test func replaceTLSTurnsTLSOnAndOff() throws {
        let pair = try TestCertificate()
        try withTLSServer(nil, ClosureHandler.fixed(.text("hi"))) { server in
            let port = server.boundPort
            #expect(try Curl.get("http://127.0.0.1:\(port)/", trusting: nil).stdout == "hi\n200")
            try server.replaceTLS(with: pair.credentials)
            #expect(try Curl.get("https://127.0.0.1:\(port)/", trusting: pair).stdout == "hi\n200")
            try server.replaceTLS(with: nil)
            #expect(try Curl.get("http://127.0.0.1:\(port)/", trusting: nil).stdout == "hi\n200")
        }
    }
}

/// What is wrong with a certificate or key is said before anything listens.
@Suite struct TLSCredentialsTests {
    @Test func aMatchingPairPassesTheCheck() throws {
        try TestCertificate().credentials.check()
    }

    @Test func aKeyFromAnotherPairIsRefusedByGnuTLS() throws {
        let one = try TestCertificate(), two = try TestCertificate()
        let mixed = try TLSCredentials(certificatePEM: one.credentials.certificatePEM, keyPEM: two.credentials.keyPEM)
        #expect {
            try mixed.check()
        } throws: { error in
            guard let error = error as? TLSCredentialsError else { return false }
            return error.part == nil && error.message.lowercased().contains("do not match")
        }
    }

    /// One case per text mistake, with the half it names and the exact message.
    @Test func textMistakesNameTheHalfAndTheProblem() throws {
        let pair = try TestCertificate().credentials
        let cases: [(certificate: String, key: String, part: TLSCredentials.Part, message: String)] = [
            // An empty or non-PEM file (a DER certificate, the wrong file).
            ("hello", pair.keyPEM, .certificate, "is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block"),
            // The two files swapped in the config.
            (pair.keyPEM, pair.certificatePEM, .certificate,
             "is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block (it holds a private key: are certificate and key swapped?)"),
            (pair.certificatePEM, pair.certificatePEM, .key,
             "is not a PEM private key: no '-----BEGIN PRIVATE KEY-----' block (it holds a certificate: are certificate and key swapped?)"),
            // A passphrase-protected key cannot be unlocked by a daemon.
            (pair.certificatePEM, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", .key,
             "is an encrypted private key; Herald starts unattended, so give it the key unencrypted and protect the file (mode 0600, LoadCredential=)"),
        ]
        for item in cases {
            #expect(throws: TLSCredentialsError(item.part, item.message)) {
                _ = try TLSCredentials(certificatePEM: item.certificate, keyPEM: item.key)
            }
        }
    }

    @Test func thisLibmicrohttpdSupportsTLS() {
        #expect(TLSCredentials.isSupported)
    }
}

/// A fresh self-signed P-256 certificate for 127.0.0.1 and its key, made by the openssl CLI.
struct TestCertificate {
    let directory: URL
    let credentials: TLSCredentials
    var certificateFile: URL { directory.appendingPathComponent("cert.pem") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let made = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", directory.appendingPathComponent("key.pem").path, "-out", directory.appendingPathComponent("cert.pem").path,
        ])
        guard made.status == 0 else { throw CertificateError(description: "openssl req failed: \(made.stderr)") }
        credentials = try TLSCredentials(
            certificatePEM: String(decoding: try Data(contentsOf: directory.appendingPathComponent("cert.pem")), as: UTF8.self),
            keyPEM: String(decoding: try Data(contentsOf: directory.appendingPathComponent("key.pem")), as: UTF8.self))
    }

    struct CertificateError: Error, CustomStringConvertible {
        let description: String
    }
}

/// The curl CLI over loopback: `stdout` is the body, a newline and the status code.
enum Curl {
    typealias Result = CommandRunner.Result

    /// GET `url`; with `trusting`, that certificate is the only trust anchor.
    static func get(_ url: String, trusting pair: TestCertificate?) throws -> Result {
        var arguments = ["-sS", "--max-time", "10", "-w", "\n%{http_code}", url]
        if let pair { arguments = ["--cacert", pair.certificateFile.path] + arguments }
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), arguments, timeout: 15)
    }
}

/// Starts a server on 127.0.0.1 port 0 with `tls` (nil: plain HTTP) and stops it after `body`.
private func withTLSServer(_ tls: TLSCredentials?, _ handler: HTTPHandler, _ body: (HTTPServer) throws -> Void) throws {
    var configuration = try HTTPServerConfiguration(listen: "127.0.0.1:0")
    configuration.tls = tls
    configuration.connectionTimeoutSeconds = 2   // a retired listener's idle connections go quickly
    let server = HTTPServer(configuration: configuration, handler: handler, logger: LogCollector().logger, metrics: MetricsRegistry())
    try server.start()
    defer { server.stop(drainTimeout: 1) }
    try body(server)
}
