public import Foundation

/// A fresh self-signed P-256 certificate for 127.0.0.1 and its unencrypted key, made by the
/// openssl CLI in a temporary folder (removed with the value's last copy going away is not
/// guaranteed: call `remove()`), for tests that speak HTTPS over loopback.
public struct TLSTestCertificate: Sendable {
    public let directory: URL
    public var certificateFile: URL { directory.appendingPathComponent("cert.pem") }
    public var keyFile: URL { directory.appendingPathComponent("key.pem") }
    public let certificatePEM: String
    public let keyPEM: String

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem"), key = directory.appendingPathComponent("key.pem")
        let made = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key.path, "-out", certificate.path,
        ])
        guard made.status == 0 else { throw HeraldProcessError(message: "openssl req failed: \(made.stderr)") }
        certificatePEM = String(decoding: try Data(contentsOf: certificate), as: UTF8.self)
        keyPEM = String(decoding: try Data(contentsOf: key), as: UTF8.self)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The curl CLI over loopback, for HTTPS with a test certificate as the only trust anchor.
public enum Curl {
    /// GET `url`; `stdout` is the body, a newline and the status code. With `trusting`,
    /// that certificate is the only trust anchor (exit 60 when the server shows another).
    public static func get(_ url: String, trusting certificate: TLSTestCertificate?, headers: [String] = []) throws -> CommandRunner.Result {
        var arguments = ["-sS", "--max-time", "10", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + [url]
        if let certificate { arguments = ["--cacert", certificate.certificateFile.path] + arguments }
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/curl"), arguments, timeout: 15)
    }
}
