import Foundation
import HeraldCore
import HeraldServer

/// `server.tls`: reads the certificate and key the config names as `serve` would (files,
/// relative names from systemd's `$CREDENTIALS_DIRECTORY`, or environment variables) and
/// checks them before anything listens: start-up, SIGHUP and `check --secrets` all ask
/// here, so a renewed certificate that is broken is refused and the old one keeps serving.
/// Every problem is one line naming the config path and the source, never the contents.
enum TLSFiles {
    /// Reads and checks both halves; throws every problem found.
    static func load(_ settings: TLSSettings, reader: SecretReader) throws(SecretProblems) -> TLSCredentials {
        guard TLSCredentials.isSupported else {
            throw SecretProblems(lines: ["server.tls: this libmicrohttpd was built without TLS support; install Debian's libmicrohttpd12 (GnuTLS) or put a TLS proxy in front"])
        }
        var problems: [String] = []
        let certificate = read(settings.certificate, at: "server.tls.certificate", reader: reader, into: &problems)
        let key = read(settings.key, at: "server.tls.key", reader: reader, into: &problems)
        guard let certificate, let key else { throw SecretProblems(lines: problems) }
        let credentials: TLSCredentials
        do {
            credentials = try TLSCredentials(certificatePEM: certificate, keyPEM: key)
        } catch {
            let source = error.part == .key ? settings.key : settings.certificate
            throw SecretProblems(lines: ["server.tls.\(error.part?.rawValue ?? "certificate"): \(describe(source, reader)) \(error.message)"])
        }
        do {
            try credentials.check()
        } catch {
            throw SecretProblems(lines: ["server.tls: the certificate (\(describe(settings.certificate, reader))) and key (\(describe(settings.key, reader))) cannot be used: \(error.message)"])
        }
        return credentials
    }

    /// The PEM text from `source`, or nil with a line in `problems`. Files are told apart:
    /// missing, unreadable (permissions: run as the service user), empty.
    private static func read(_ source: SecretSource, at place: String, reader: SecretReader, into problems: inout [String]) -> String? {
        let path: String
        switch source {
        case .environment:
            do {
                return try reader.read(source) + "\n"
            } catch {
                problems.append("\(place): \(error.message)")
                return nil
            }
        case .environmentOrFile(let name, let file):
            if let value = reader.environment[name], !value.isEmpty { return value }
            path = file
        case .file(let file):
            path = file
        }
        let resolved = reader.resolvedPath(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            problems.append("\(place): file '\(resolved)' does not exist\(hint(path, reader))")
            return nil
        }
        guard !isDirectory.boolValue else {
            problems.append("\(place): '\(resolved)' is a directory, not a PEM file")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: resolved) else {
            problems.append("\(place): file '\(resolved)' cannot be read by this user (uid \(getuid())); check its permissions or pass it with LoadCredential=")
            return nil
        }
        guard !data.isEmpty else {
            problems.append("\(place): file '\(resolved)' is empty")
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A relative name without `$CREDENTIALS_DIRECTORY` was looked up in the working directory.
    private static func hint(_ path: String, _ reader: SecretReader) -> String {
        guard !path.hasPrefix("/"), reader.environment["CREDENTIALS_DIRECTORY"] == nil else { return "" }
        return " ($CREDENTIALS_DIRECTORY is not set, so the relative name was looked up in the working directory)"
    }

    /// How a source is named in a message: the file as resolved, or the variable.
    private static func describe(_ source: SecretSource, _ reader: SecretReader) -> String {
        switch source {
        case .environment(let name): "environment variable '\(name)'"
        case .file(let path): "file '\(reader.resolvedPath(path))'"
        case .environmentOrFile(let name, let path):
            (reader.environment[name] ?? "").isEmpty ? "file '\(reader.resolvedPath(path))'" : "environment variable '\(name)'"
        }
    }
}
