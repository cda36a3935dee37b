import Foundation

/// herald-fuzz: `herald-fuzz <config|event|evaluator> [file|directory …]`.
///
/// Built plainly it replays the given files (every file of a directory) through the
/// target, printing each name first so a crash shows its input. Built with
/// `-sanitize=fuzzer -DFUZZING` (see Fuzz/README.md) this `main` hands the remaining
/// arguments to libFuzzer's `LLVMFuzzerRunDriver`; the target is the first argument
/// or `$HERALD_FUZZ_TARGET`.
let arguments = CommandLine.arguments
let chosen = arguments.dropFirst().first.flatMap(FuzzTarget.init(rawValue:))
    ?? ProcessInfo.processInfo.environment["HERALD_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
guard let target = chosen else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("usage: herald-fuzz <\(names)> [file|directory …] (or set HERALD_FUZZ_TARGET)\n".utf8))
    exit(2)
}
let rest = Array(arguments.dropFirst(arguments.dropFirst().first == target.rawValue ? 2 : 1))

#if FUZZING
exit(LibFuzzerDriver.run(target, arguments: [arguments[0]] + rest))
#else
exit(CorpusReplay.run(target, paths: rest))
#endif
