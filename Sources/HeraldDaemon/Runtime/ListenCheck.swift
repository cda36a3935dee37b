public import HeraldCore
import HeraldServer

/// `server.listen` is parsed by the listener (`ListenAddress`, which asks `inet_pton`), not
/// by the pure config decoder; without this check a config with `"127.0.0.1:99999"`
/// passed `check` and a reload, then stopped the next restart (#17 item 8). `check`,
/// start-up and reload all ask here.
public enum ListenCheck {
    /// The problem with the config's listen address at `server.listen`; nil when valid.
    public static func issue(_ config: HeraldConfig) -> ConfigIssue? {
        do {
            _ = try ListenAddress(parsing: config.server.listen)
            return nil
        } catch {
            return ConfigIssue(.error, code: "bad_listen", path: JSONPath.root.appending("server").appending("listen"), error.message)
        }
    }
}
