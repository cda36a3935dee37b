import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API of a running daemon, for the commands that take `--url` (the way
/// `amtool --alertmanager.url` works): Foundation's URLSession (libcurl underneath on
/// Linux), one request at a time, bounded by a timeout.
struct RemoteClient {
    /// Longest wait for one answer.
    static let timeout: TimeInterval = 15
    /// Options every remote command takes.
    static let options: Set<String> = ["--url", "--token-file"]

    let base: URL
    let token: String

    /// The client `--url` asks for, with the token from `--token-file` or `$HERALD_TOKEN`;
    /// nil without `--url` (the command then works on the local state directory).
    static func from(_ args: Arguments, environment: [String: String] = ProcessInfo.processInfo.environment) throws(UsageError) -> RemoteClient? {
        guard let text = args.value("--url") else { return nil }
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw UsageError("--url '\(text)' is not an http or https URL")
        }
        let token: String
        if let file = args.value("--token-file") {
            guard let data = FileManager.default.contents(atPath: file) else { throw UsageError("cannot read --token-file '\(file)'") }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let value = environment["HERALD_TOKEN"], !value.isEmpty {
            token = value
        } else {
            throw UsageError("--url needs a token: --token-file FILE or $HERALD_TOKEN")
        }
        return RemoteClient(base: url, token: token)
    }

    /// Why a request did not give a 2xx answer, in one line for people.
    struct Failure: Error {
        let message: String
    }

    /// Sends one request; the parsed JSON object of a 2xx answer, else a failure naming
    /// the API's error code and message.
    func send(_ method: String, _ path: String, query: [URLQueryItem] = [], body: [String: Any]? = nil) -> Result<[String: Any], Failure> {
        guard var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false) else {
            return .failure(Failure(message: "cannot make a URL of '\(path)'"))
        }
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else { return .failure(Failure(message: "cannot make a URL of '\(path)'")) }
        var request = URLRequest(url: url, timeoutInterval: Self.timeout)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = try? JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.value = (data, response as? HTTPURLResponse, error)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + Self.timeout + 1) == .success, let (data, response, error) = box.value else {
            return .failure(Failure(message: "no answer from \(base.absoluteString) within \(Int(Self.timeout)) s"))
        }
        guard let response else {
            return .failure(Failure(message: "cannot reach \(base.absoluteString): \(error?.localizedDescription ?? "no response")"))
        }
        let object = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        guard (200..<300).contains(response.statusCode) else {
            let code = object["error"] as? String ?? "http_\(response.statusCode)"
            return .failure(Failure(message: "\(object["message"] as? String ?? "the daemon answered \(response.statusCode)") (\(code), HTTP \(response.statusCode))"))
        }
        return .success(object)
    }

    private final class Box: @unchecked Sendable {
        var value: (Data?, HTTPURLResponse?, Error?)?
    }
}

/// Aligned text tables for people; `--json` gives scripts the API's own JSON.
enum TextTable {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Pretty, sorted JSON of an API answer.
    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
