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
        // The held request outlives several curl runs, which take seconds on a busy machine.
        try withTLSServer(old.credentials, handler, connectionTimeout: 20) { server in
            let port = server.boundPort
            let slow = Locked<CommandRunner.Result?>(nil)
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
            // Its last connection closed (the answer said `Connection: close`): the old listener goes.
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

/// A test certificate from HeraldTestKit, with its credentials for the server; its files
/// go when it does.
final class TestCertificate: Sendable {
    let files: TLSTestCertificate
    let credentials: TLSCredentials

    init() throws {
        files = try TLSTestCertificate()
        credentials = try TLSCredentials(certificatePEM: files.certificatePEM, keyPEM: files.keyPEM)
    }

    deinit { files.remove() }
}

extension Curl {
    static func get(_ url: String, trusting pair: TestCertificate?) throws -> CommandRunner.Result {
        try get(url, trusting: pair?.files)
    }
}

/// Starts a server on 127.0.0.1 port 0 with `tls` (nil: plain HTTP) and stops it after `body`.
/// A retired listener waits at most the connection timeout (+1 s) for its requests, so
/// `connectionTimeout` bounds how long a test may hold one in flight across a reload.
private func withTLSServer(_ tls: TLSCredentials?, _ handler: HTTPHandler, connectionTimeout: Int = 2,
                           _ body: (HTTPServer) throws -> Void) throws {
    var configuration = try HTTPServerConfiguration(listen: "127.0.0.1:0")
    configuration.tls = tls
    configuration.connectionTimeoutSeconds = connectionTimeout
    let server = HTTPServer(configuration: configuration, handler: handler, logger: LogCollector().logger, metrics: MetricsRegistry())
    try server.start()
    defer { server.stop(drainTimeout: 1) }
    try body(server)
}
