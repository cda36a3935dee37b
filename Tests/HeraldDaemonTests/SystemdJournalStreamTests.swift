import Foundation
import Glibc
import Testing
@testable import HeraldDaemon

/// `$JOURNAL_STREAM` applies only when it names the stream actually connected.
@Suite struct SystemdJournalStreamTests {
    @Test func matchesOnlyTheDeviceAndInodeOfTheDescriptor() throws {
        let path = "/tmp/herald-journal-\(getpid())-\(UUID().uuidString.prefix(8))"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        let own = "\(status.st_dev):\(status.st_ino)"

        // Each case: a JOURNAL_STREAM value and whether it describes the descriptor.
        let cases: [(String?, Bool)] = [
            (own, true),                                  // systemd connected exactly this
            ("\(status.st_dev):\(status.st_ino + 1)", false), // inherited, stream redirected
            (nil, false),                                 // not under systemd
            ("garbage", false),                           // malformed: assume not the journal
            ("\(status.st_dev):", false),
        ]
        for (value, expected) in cases {
            let environment = value.map { ["JOURNAL_STREAM": $0] } ?? [:]
            #expect(JournalStream.descriptorMatches(descriptor, environment: environment) == expected, "\(value ?? "unset")")
        }
    }

    @Test func loggerEnvironmentDropsAStaleJournalStream() {
        let stale = ["JOURNAL_STREAM": "1:1", "HOME": "/root"]
        #expect(JournalStream.loggerEnvironment(stale) == ["HOME": "/root"])
        #expect(JournalStream.loggerEnvironment(["HOME": "/root"]) == ["HOME": "/root"])
        var status = stat()
        if fstat(STDERR_FILENO, &status) == 0 { // stderr of the test runner, whatever it is
            let live = ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]
            #expect(JournalStream.standardErrorIsJournal(environment: live))
            #expect(JournalStream.loggerEnvironment(live) == live)
        }
    }
}
