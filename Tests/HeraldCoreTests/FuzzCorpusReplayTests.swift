import Foundation
import Testing
import HeraldCore
import HeraldTestKit

/// Replays the fuzz seed corpus (Fuzz/corpus/<target>/, which also holds every crash
/// input ever found, named `regression-*`) through the very harness code libFuzzer runs
/// (FuzzTargets.swift and FuzzEvaluator*.swift are symlinks into Fuzz/Sources), so CI
/// covers every input without libFuzzer. A violated invariant is a `precondition`
/// failure: the test process crashes, naming the harness line; replay the target with
/// `.build/debug/herald-fuzz <target> Fuzz/corpus/<target>` to see which file.
struct FuzzCorpusReplayTests {
    /// Fewest seeds a target's corpus may have: a missing or emptied corpus directory
    /// must fail this test rather than pass it by replaying nothing.
    static let minimumSeeds = 5

    static func corpus(_ target: FuzzTarget) throws -> [URL] {
        let directory = Fixtures.url("Fuzz/corpus/\(target.rawValue)")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplaysWithoutViolatingInvariants(_ target: FuzzTarget) throws {
        let files = try Self.corpus(target)
        #expect(files.count >= Self.minimumSeeds, "corpus for \(target.rawValue) has \(files.count) files")
        for file in files {
            target.run(try Data(contentsOf: file))
        }
    }

    /// The evaluator's fixed configs load (the harness cannot run without them).
    @Test func evaluatorLayoutsLoad() {
        #expect(EvaluatorFuzzing.layouts.count == EvaluatorFuzzConfigs.all.count)
        #expect(EvaluatorFuzzing.layouts.allSatisfy { $0.config.rules.count >= 2 })
    }

    /// A script that climbs through every tier produces notifications, so the invariants
    /// are checked on real notices and not only on silence.
    @Test func evaluatorScriptsReachNotifications() throws {
        let climb = try Data(contentsOf: Fixtures.url("Fuzz/corpus/evaluator/climb-and-fall"))
        var bytes = ByteReader(climb)
        var eventTime = EvaluatorFuzzing.start
        var state = EvaluationState()
        var notices = 0
        while !bytes.isAtEnd {
            #expect(bytes.next() % 8 >= 2, "climb-and-fall is a script of events only")
            let event = EvaluatorFuzzing.makeEvent(&bytes, eventTime: &eventTime, floor: .distantPast)
            notices += EvaluatorFuzzing.layouts[0].evaluate(event, state: &state, now: EvaluatorFuzzing.start).notifications.count
        }
        #expect(notices >= 3)
    }
}

/// The broken configs of the seed corpus (one per validation rule, plus syntax errors):
/// each is refused with errors that carry a code, a message and a line:column.
struct FuzzBrokenConfigTests {
    /// Seeds that are valid on purpose (the shipped examples, `valid-*`).
    static func isValidSeed(_ name: String) -> Bool { name.hasPrefix("example-") || name.hasPrefix("valid-") }

    @Test func everyBrokenConfigIsRefusedWithAPlace() throws {
        let files = try FuzzCorpusReplayTests.corpus(.config).filter { !Self.isValidSeed($0.lastPathComponent) }
        #expect(files.count >= 20)
        for file in files {
            let data = try Data(contentsOf: file)
            do {
                _ = try ConfigLoader.load(data)
                Issue.record("\(file.lastPathComponent) was accepted")
            } catch {
                let errors = error.issues.filter { $0.severity == .error }
                #expect(!errors.isEmpty, "\(file.lastPathComponent): no error")
                for issue in errors {
                    #expect(!issue.code.isEmpty && !issue.message.isEmpty)
                    #expect(issue.position != nil || data.isEmpty, "\(file.lastPathComponent): '\(issue.message)' has no line:column")
                }
            }
        }
    }

    @Test func validSeedsLoad() throws {
        for file in try FuzzCorpusReplayTests.corpus(.config) where Self.isValidSeed(file.lastPathComponent) {
            #expect(throws: Never.self, "\(file.lastPathComponent)") { _ = try ConfigLoader.load(try Data(contentsOf: file)) }
        }
    }
}
