#if FUZZING
import Foundation

/// libFuzzer's driver, linked from the toolchain's `libclang_rt.fuzzer` by
/// `-sanitize=fuzzer`. Calling it from our own `main` (instead of letting libFuzzer's
/// `main` run) lets one executable keep its replay mode and choose the target by name.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// One C callback per target: a `@convention(c)` function cannot capture the choice.
enum LibFuzzerDriver {
    static func run(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        var argc = Int32(arguments.count)
        // strdup'd strings live for the whole process: libFuzzer keeps pointers to them.
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
            let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
            for (index, argument) in arguments.enumerated() { array[index] = strdup(argument) }
            array[arguments.count] = nil
            return array
        }()
        switch target {
        case .config: return LLVMFuzzerRunDriver(&argc, &argv, fuzzConfig)
        case .event: return LLVMFuzzerRunDriver(&argc, &argv, fuzzEvent)
        case .evaluator: return LLVMFuzzerRunDriver(&argc, &argv, fuzzEvaluator)
        case .json: return LLVMFuzzerRunDriver(&argc, &argv, fuzzJSON)
        }
    }
}

private func fuzzConfig(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { feed(.config, bytes, count) }
private func fuzzEvent(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { feed(.event, bytes, count) }
private func fuzzEvaluator(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { feed(.evaluator, bytes, count) }
private func fuzzJSON(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { feed(.json, bytes, count) }

/// Copies libFuzzer's buffer (it is only valid during the call) and runs the target.
private func feed(_ target: FuzzTarget, _ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    target.run(data)
    return 0
}
#endif
