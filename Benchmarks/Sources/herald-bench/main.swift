import Foundation
import HeraldCore

/// herald-bench: Herald's core micro-benchmarks (config load, resolution, evaluation,
/// event decoding). Configs come from Benchmarks/scripts/gen_config.py; `Benchmarks/run`
/// runs this with the generated sizes and puts the figures in BENCHMARKS.md.
///
///     herald-bench [--quick] [--json FILE] CONFIG...
///     herald-bench load CONFIG        (child mode: one load, figures as JSON)
///     herald-bench profile resolve-10k|decode|load|audit|webhook CONFIG [N]   (one loop, for callgrind)
///     herald-bench directory-change [USERS]   (one SCIM-style change vs a full rebuild)
enum BenchSettings {
    /// Time budget per figure: long enough for stable medians, short enough for a run.
    static let budgetSeconds = 2.0
    static let quickBudgetSeconds = 0.3
    /// Upper bound on iterations per figure, whatever the speed.
    static let maxIterations = 2_000_000
}

func usage() -> Never {
    print("usage: herald-bench [--quick] [--json FILE] CONFIG...   (configs from Benchmarks/scripts/gen_config.py)")
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "profile" {
    exit(ProfileMode.run(Array(arguments.dropFirst())))
}
if arguments.first == "directory-change" {
    exit(DirectoryChangeBench.run(Array(arguments.dropFirst())))
}
if arguments.first == "load" {
    guard arguments.count == 2 else { usage() }
    exit(LoadBench.child(path: arguments[1]))
}
var quick = false
var jsonPath: String?
var configs: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--quick": quick = true
    case "--json":
        guard !arguments.isEmpty else { usage() }
        jsonPath = arguments.removeFirst()
    case "-h", "--help": usage()
    default: configs.append(argument)
    }
}
if configs.isEmpty { usage() }

let budget = quick ? BenchSettings.quickBudgetSeconds : BenchSettings.budgetSeconds
var table = FigureTable()
print("herald-bench (\(quick ? "quick" : "full"), \(budget) s per figure)")
DecodeBench(budget: budget, maxIterations: BenchSettings.maxIterations).run(into: &table)
for path in configs {
    LoadBench.run(path: path, into: &table)
    guard let data = FileManager.default.contents(atPath: path), let config = try? ConfigLoader.load(data) else {
        print("herald-bench: \(path) does not load")
        exit(1)
    }
    ResolveBench(config: config, budget: budget, maxIterations: BenchSettings.maxIterations).run(into: &table)
    EvaluateBench(config: config, budget: budget, maxIterations: BenchSettings.maxIterations).run(into: &table)
    CommitRowsBench(config: config, budget: budget, maxIterations: BenchSettings.maxIterations).run(into: &table)
}
if let jsonPath {
    do {
        try table.write(json: jsonPath)
    } catch {
        print("herald-bench: cannot write \(jsonPath): \(error)")
        exit(1)
    }
}
print("(checksum \(Sink.shared.value))")
