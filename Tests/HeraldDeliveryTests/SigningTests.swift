import Foundation
import Testing
@testable import HeraldDelivery

/// The Standard Webhooks test vector, rotation, and an independent check in Python.
@Suite struct SigningTests {
    static let specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let specID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let specTimestamp = 1614265330
    static let specBody = Data(#"{"test": 2432232314}"#.utf8)
    static let otherSecret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()

    @Test func specificationVector() throws {
        let signer = WebhookSigner(secrets: [try WebhookSecret(parsing: Self.specSecret)])
        #expect(signer.sign(id: Self.specID, timestamp: Self.specTimestamp, body: Self.specBody)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func rotationSignsWithEverySecretSpaceSeparated() throws {
        let old = try WebhookSecret(parsing: Self.specSecret)
        let new = try WebhookSecret(parsing: Self.otherSecret)
        let both = WebhookSigner(secrets: [new, old]).sign(id: Self.specID, timestamp: Self.specTimestamp, body: Self.specBody)
        let parts = both.split(separator: " ").map(String.init)
        #expect(parts == [
            WebhookSigner(secrets: [new]).sign(id: Self.specID, timestamp: Self.specTimestamp, body: Self.specBody),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ])
    }

    /// Python's `hmac` module verifies both signatures of a rotation independently.
    @Test func pythonVerifiesBothRotationSignatures() throws {
        let secrets = [Self.otherSecret, Self.specSecret]
        let signer = WebhookSigner(secrets: try secrets.map { try WebhookSecret(parsing: $0) })
        let body = Data("{\"tier\":\"critical\",\"value\":97.5,\"bytes\":\"\u{00e9}\"}".utf8)
        let header = signer.sign(id: "msg_1", timestamp: 1_700_000_000, body: body)
        let script = """
        import base64, hashlib, hmac, sys
        secrets, header, body = sys.argv[1].split(","), sys.argv[2], base64.b64decode(sys.argv[3])
        content = b"msg_1.1700000000." + body
        expected = ["v1," + base64.b64encode(hmac.new(base64.b64decode(s[6:]), content, hashlib.sha256).digest()).decode() for s in secrets]
        print("ok" if header.split(" ") == expected else "mismatch")
        """
        let output = try runPython(script, arguments: [secrets.joined(separator: ","), header, body.base64EncodedString()])
        #expect(output == "ok")
    }

    @Test func secretErrorsNameTheProblemNotTheSecret() {
        let cases: [(String, WebhookSecretError)] = [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", .missingPrefix),        // no prefix
            ("whsec_", .invalidBase64),                                   // empty key
            ("whsec_not*base64!", .invalidBase64),                         // bad alphabet
            ("whsec_c2hvcnQ=", .keyLength(5)),                             // "short": below 24 bytes
        ]
        for (text, expected) in cases {
            do {
                _ = try WebhookSecret(parsing: text)
                Issue.record("accepted an invalid secret")
            } catch {
                #expect(error == expected)
                let keyPart = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
                if !keyPart.isEmpty { #expect(!error.description.contains(keyPart)) }
            }
        }
        #expect(WebhookSecretError.missingPrefix.code == "secret_missing_prefix")
    }

    @Test func secretsAreRedactedWhenPrinted() throws {
        let secret = try WebhookSecret(parsing: Self.specSecret)
        for rendered in [String(describing: secret), String(reflecting: secret), "\(secret)", "\([secret])"] {
            #expect(!rendered.contains("MfKQ9r8G"))
            #expect(rendered.contains("redacted"))
        }
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256Hex("abc".utf8) == Digest.sha256Hex(Data("abc".utf8)))
        #expect(Digest.sha256(Array("abc".utf8)).count == 32)
    }

    /// RFC 4231 test case 2.
    @Test func hmacMatchesRFC4231() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test(arguments: [
        ([UInt8]([1, 2, 3]), [UInt8]([1, 2, 3]), true),   // equal
        ([1, 2, 3], [1, 2, 4], false),                     // last byte differs
        ([1, 2, 3], [1, 2], false),                        // different length
        ([], [], true),                                    // both empty
    ])
    func constantTimeEquals(a: [UInt8], b: [UInt8], equal: Bool) {
        #expect(Digest.constantTimeEquals(a, b) == equal)
    }
}

/// Runs `python3 -c script args…` with a bounded wait; returns trimmed stdout.
func runPython(_ script: String, arguments: [String], timeout: TimeInterval = 10) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { process.terminate() }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Edge cases of the primitives the daemon calls directly.
@Suite struct SigningEdgeTests {
    /// HMAC with an empty key and message (a well-known value).
    @Test func hmacWithEmptyKey() {
        #expect(Digest.hex(HMACSHA256.authenticate([UInt8](), key: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func dumpDoesNotRevealTheKey() throws {
        var dumped = ""
        dump(try WebhookSecret(parsing: SigningTests.specSecret), to: &dumped)
        #expect(!dumped.contains("242"))  // the key's second byte
        #expect(!dumped.contains("key"))
    }
}
