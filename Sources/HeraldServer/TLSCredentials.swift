import CMicroHTTPD
import Foundation

/// A certificate (chain) and its private key, as PEM text, for a listener that speaks TLS
/// (libmicrohttpd with GnuTLS, `MHD_USE_TLS`).
///
/// Made in two steps so every mistake gets its own message: `init` checks the text
/// (a PEM certificate, an unencrypted PEM key, sizes), `check()` asks GnuTLS to load the
/// pair exactly as a listener would, which catches a key that does not belong to the
/// certificate. Start-up, reload and `check --secrets` run both before anything listens.
public struct TLSCredentials: Sendable, Equatable {
    /// Which half a problem is in; nil for the pair (a key that does not match).
    public enum Part: String, Sendable {
        case certificate, key
    }

    /// Largest PEM file accepted: a long chain is ~10 KiB, so anything near this is the
    /// wrong file (a bundle of every CA, a log), not a certificate.
    public static let maxPEMBytes = 1 << 20

    /// GnuTLS priorities: its secure defaults, limited to TLS 1.3 and 1.2 (RFC 8996
    /// deprecates 1.0 and 1.1; every client that posts events today speaks 1.2).
    static let priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

    public let certificatePEM: String
    public let keyPEM: String

    /// Whether this libmicrohttpd can serve TLS at all (Debian's is built with GnuTLS).
    public static var isSupported: Bool { herald_mhd_tls_supported() != 0 }

    /// Checks the text of both halves; the error says which half and what is wrong.
    public init(certificatePEM: String, keyPEM: String) throws(TLSCredentialsError) {
        try Self.checkSize(certificatePEM, .certificate)
        try Self.checkSize(keyPEM, .key)
        guard certificatePEM.contains("-----BEGIN CERTIFICATE-----"), certificatePEM.contains("-----END CERTIFICATE-----") else {
            let hint = certificatePEM.contains("PRIVATE KEY-----") ? " (it holds a private key: are certificate and key swapped?)" : ""
            throw TLSCredentialsError(.certificate, "is not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block\(hint)")
        }
        if keyPEM.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || keyPEM.contains("Proc-Type: 4,ENCRYPTED") {
            throw TLSCredentialsError(.key, "is an encrypted private key; Herald starts unattended, so give it the key unencrypted and protect the file (mode 0600, LoadCredential=)")
        }
        guard keyPEM.range(of: #"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"#, options: .regularExpression) != nil else {
            let hint = keyPEM.contains("-----BEGIN CERTIFICATE-----") ? " (it holds a certificate: are certificate and key swapped?)" : ""
            throw TLSCredentialsError(.key, "is not a PEM private key: no '-----BEGIN PRIVATE KEY-----' block\(hint)")
        }
        // GnuTLS takes NUL-terminated text; a NUL inside would silently cut the PEM short.
        for (text, part) in [(certificatePEM, Part.certificate), (keyPEM, Part.key)] where text.utf8.contains(0) {
            throw TLSCredentialsError(part, "holds a NUL byte; a PEM file is text")
        }
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    /// Loads the pair into GnuTLS as a listener would (no socket, no threads) and lets it
    /// go again. Throws GnuTLS's reason, e.g. a key that does not match the certificate.
    public func check() throws(TLSCredentialsError) {
        guard Self.isSupported else {
            throw TLSCredentialsError(nil, "this libmicrohttpd was built without TLS support")
        }
        let lines = MHDLogLines()
        let context = Unmanaged.passRetained(lines)   // released right below, after the synchronous call
        let usable = herald_mhd_check_tls(certificatePEM, keyPEM, Self.priorities,
                                          MHDCallbacks.access, MHDCallbacks.collect, context.toOpaque())
        context.release()
        guard usable != 0 else {
            let reason = lines.joined.isEmpty ? "no reason given" : lines.joined
            throw TLSCredentialsError(nil, "GnuTLS cannot use this certificate and key: \(reason)")
        }
    }

    private static func checkSize(_ text: String, _ part: Part) throws(TLSCredentialsError) {
        if text.utf8.count > maxPEMBytes {
            throw TLSCredentialsError(part, "is \(text.utf8.count) bytes, more than the \(maxPEMBytes) a PEM certificate or key can reasonably be")
        }
    }
}

/// Why TLS credentials cannot be used: which half (nil for the pair) and what is wrong,
/// as a phrase that follows the place ("is not a PEM certificate: …").
public struct TLSCredentialsError: Error, Sendable, Equatable {
    public let part: TLSCredentials.Part?
    public let message: String

    public init(_ part: TLSCredentials.Part?, _ message: String) {
        self.part = part
        self.message = message
    }
}

/// MHD log lines collected during one synchronous call (the TLS check), joined for an error.
final class MHDLogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    /// The lines without MHD's trailing periods, joined with "; ".
    var joined: String {
        lock.withLock { lines.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }.joined(separator: "; ") }
    }
}
