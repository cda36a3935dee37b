import Foundation
import Testing
import HeraldTestKit

/// #17 item 8: a listen address `serve` would refuse is refused by `check` and by a
/// reload too, so a config that passed both cannot stop the next restart.
@Suite(.serialized)
struct CommandLineListenTests {
    static func config(listen: String) -> String {
        #"{"users": [{"id": "o", "owner": true}], "server": {"listen": "\#(listen)"}}"#
    }

    @Test(arguments: [
        ("127.0.0.1:99999", "port '99999' in listen address '127.0.0.1:99999' is not a number from 0 to 65535 at server.listen"),
        ("not an address", "listen address 'not an address' has no port; expected host:port or [ipv6]:port at server.listen"),
    ])
    func checkRefusesWhatServeWouldRefuse(_ listen: String, _ message: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-listen-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.config(listen: listen).write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandRunner.herald(["check", "--config", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").map(String.init) == ["\(file.path): \(message)", "\(file.path): 1 error"])
    }

    @Test func aReloadWithABadListenAddressIsRefused() throws {
        let herald = try HeraldProcess(config: Reliability.config(), environment: Reliability.environment)
        try herald.writeConfig(Reliability.config(extraServer: #""listen": "127.0.0.1:99999""#))
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reload failed"))
        #expect(herald.logText().contains("is not a number from 0 to 65535 at server.listen"))
        #expect(Reliability.healthy(herald))
        #expect(herald.stop() == 0)
    }
}
