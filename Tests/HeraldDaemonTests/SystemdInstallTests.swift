import Foundation
import HeraldTestKit
import Testing

/// scripts/install, scripts/uninstall and scripts/check-units, run as an operator would.
@Suite struct SystemdInstallTests {
    static let scripts = Fixtures.url("scripts")

    /// Install into a temp DESTDIR with a non-default PREFIX, install again over an
    /// edited config, then uninstall.
    @Test func installUninstallRoundTripKeepsTheOperatorsConfig() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-install-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let stage = root.appendingPathComponent("stage")
        let binary = root.appendingPathComponent("herald-dummy")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("dummy binary\n".utf8).write(to: binary)
        let environment = ["DESTDIR": stage.path, "PREFIX": "/opt/herald", "BIN": binary.path]

        let install = try ScriptRun.run(Self.scripts.appendingPathComponent("install"), environment: environment)
        #expect(install.status == 0, "\(install.output)")

        let installedBinary = stage.appendingPathComponent("opt/herald/bin/herald")
        #expect(try Data(contentsOf: installedBinary) == Data("dummy binary\n".utf8))
        #expect(FileManager.default.isExecutableFile(atPath: installedBinary.path))
        let service = try String(contentsOf: stage.appendingPathComponent("etc/systemd/system/herald.service"), encoding: .utf8)
        #expect(service.contains("\nExecStart=/opt/herald/bin/herald serve --config /etc/herald/config.json\n"))
        #expect(!service.contains("/usr/local/"))
        let socketUnit = stage.appendingPathComponent("etc/systemd/system/herald.socket")
        #expect(try Data(contentsOf: socketUnit) == Fixtures.data("systemd/herald.socket"))
        let config = stage.appendingPathComponent("etc/herald/config.json")
        #expect(try Data(contentsOf: config) == Fixtures.data("Config/example.json"))

        // An operator edits the config; installing again (an upgrade) must keep it.
        try Data("{\"edited\": true}\n".utf8).write(to: config)
        let upgrade = try ScriptRun.run(Self.scripts.appendingPathComponent("install"), environment: environment)
        #expect(upgrade.status == 0, "\(upgrade.output)")
        #expect(try Data(contentsOf: config) == Data("{\"edited\": true}\n".utf8))
        #expect(upgrade.output.contains("kept existing"))

        let uninstall = try ScriptRun.run(Self.scripts.appendingPathComponent("uninstall"), environment: environment)
        #expect(uninstall.status == 0, "\(uninstall.output)")
        #expect(!FileManager.default.fileExists(atPath: installedBinary.path))
        #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent("etc/systemd/system/herald.service").path))
        #expect(!FileManager.default.fileExists(atPath: socketUnit.path))
        #expect(try Data(contentsOf: config) == Data("{\"edited\": true}\n".utf8))
        #expect(uninstall.output.contains("kept"))
    }

    /// Each case: an environment install must refuse, and the words its message contains.
    @Test func installRefusesAMissingBinaryAndUnsafePrefixes() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-install-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let binary = root.appendingPathComponent("herald-dummy")
        try Data("x".utf8).write(to: binary)
        let cases: [([String: String], String)] = [
            (["BIN": root.appendingPathComponent("absent").path], "no binary"),   // not built yet
            (["BIN": binary.path, "PREFIX": "opt/herald"], "absolute"),          // relative prefix
            (["BIN": binary.path, "PREFIX": "/opt/my herald"], "may only contain"), // would split ExecStart
        ]
        for (extra, words) in cases {
            let environment = extra.merging(["DESTDIR": root.appendingPathComponent("stage").path]) { $1 }
            let run = try ScriptRun.run(Self.scripts.appendingPathComponent("install"), environment: environment)
            #expect(run.status != 0)
            #expect(run.output.contains(words), "\(run.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("stage").path))
    }

    static let systemdAnalyzeAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
        || FileManager.default.isExecutableFile(atPath: "/bin/systemd-analyze")

    /// The issue's bar: verify is clean and the security exposure is at most 1.3.
    @Test(.enabled(if: systemdAnalyzeAvailable, "systemd-analyze is not installed (package systemd)"))
    func unitsPassVerifyAndTheSecurityRating() throws {
        let run = try ScriptRun.run(Self.scripts.appendingPathComponent("check-units"))
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("verify: clean"))
        let figure = run.output.split(separator: "\n")
            .first { $0.hasPrefix("security: exposure ") }
            .flatMap { Double($0.split(separator: " ")[2]) }
        let exposure = try #require(figure, "\(run.output)")
        #expect(exposure <= 1.3)
    }

    /// Issue 15: the shipped unit reaches remote targets (no IP address filter); those
    /// who want one add it in a drop-in (docs/operations.md).
    @Test func theUnitDoesNotConfineDeliveryToLoopback() throws {
        let unit = try String(contentsOf: Self.scripts.deletingLastPathComponent().appendingPathComponent("systemd/herald.service"), encoding: .utf8)
        let settings = unit.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(!settings.contains { $0.hasPrefix("IPAddressDeny=") || $0.hasPrefix("IPAddressAllow=") })
    }
}
