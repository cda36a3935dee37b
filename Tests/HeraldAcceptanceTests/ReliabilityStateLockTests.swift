import Foundation
import Testing
import HeraldTestKit

/// #17 item 6: two daemons on one state directory would both accept an event and notify
/// twice under different ids. The second must refuse to start, naming the first; a
/// crashed holder leaves no stale lock (the kernel releases `flock` locks).
@Suite(.serialized)
struct ReliabilityStateLockTests {
    @Test func aSecondDaemonOnTheSameStateDirectoryRefusesToStart() throws {
        let first = try HeraldProcess(config: Reliability.config(), environment: Reliability.environment)
        let second = try CommandRunner.herald(["serve", "--config", first.configFile.path, "--state-dir", first.stateDirectory.path,
                                               "--listen", "127.0.0.1:0"], timeout: 15, environment: Reliability.environment)
        let output = second.stdout + second.stderr
        #expect(second.status == 1)
        #expect(output.contains("another herald (pid \(first.pid)) is already serving state directory '\(first.stateDirectory.path)'"), "\(output)")
        #expect(output.contains("error.code=state_locked"), "\(output)")
        #expect(Reliability.healthy(first), "the first daemon is untouched")

        // kill -9: the kernel drops the lock, so a restart on the same directory works.
        first.crash()
        try first.start()
        #expect(Reliability.healthy(first))
        #expect(first.stop() == 0)
    }
}
