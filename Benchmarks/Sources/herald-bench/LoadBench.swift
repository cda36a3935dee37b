import Foundation
import HeraldCore

/// Config load + index build, each size in a fresh process so its RSS is the config's
/// own (a process that already loaded a bigger config keeps that memory in malloc).
enum LoadBench {
    /// Child mode (`herald-bench load FILE`): loads once, prints one JSON object.
    static func child(path: String) -> Int32 {
        let before = Measure.memory()
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("herald-bench: cannot read \(path)\n".utf8))
            return 1
        }
        let start = Measure.nanoseconds()
        let config: HeraldConfig
        do {
            config = try ConfigLoader.load(data)
        } catch {
            FileHandle.standardError.write(Data("herald-bench: \(path) does not load: \(error)\n".utf8))
            return 1
        }
        let loadSeconds = Double(Measure.nanoseconds() - start) / 1e9
        let after = Measure.memory()
        // Breakdown, measured after the RSS figures so they do not disturb them.
        let parseStart = Measure.nanoseconds()
        let tree = try? JSONValue.parse(data)
        let parseSeconds = Double(Measure.nanoseconds() - parseStart) / 1e9
        let compileStart = Measure.nanoseconds()
        let compiled = try? HeraldConfig.compile(config.document)
        let compileSeconds = Double(Measure.nanoseconds() - compileStart) / 1e9
        withExtendedLifetime((config, tree, compiled)) {}
        let result: [String: Any] = [
            "users": config.directory.users.count, "groups": config.directory.groups.count, "bytes": data.count,
            "load_s": loadSeconds, "parse_s": parseSeconds, "compile_s": compileSeconds,
            "rss_before_mb": before.rss, "rss_after_mb": after.rss, "peak_mb": after.peak,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])) ?? Data()
        print(String(decoding: json, as: UTF8.self))
        return 0
    }

    /// Parent side: runs the child for `path` and records its figures.
    static func run(path: String, into table: inout FigureTable) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["load", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
        } catch {
            print("config load: cannot start the child: \(error)")
            return
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
              let users = object["users"] as? Int else {
            print("config load: the child failed for \(path)")
            return
        }
        func number(_ key: String) -> Double { (object[key] as? Double) ?? Double(object[key] as? Int ?? 0) }
        let mb = number("bytes") / 1_048_576
        table.add("config load", "load + index (ConfigLoader.load)", number("load_s") * 1000, "ms", users: users,
                  note: String(format: "%.1f MiB JSON", mb))
        table.add("config load", "  of which JSON parse (JSONValue.parse)", number("parse_s") * 1000, "ms", users: users)
        table.add("config load", "  directory compile (HeraldConfig.compile)", number("compile_s") * 1000, "ms", users: users)
        table.add("config load", "RSS after load", number("rss_after_mb"), "MiB", users: users,
                  note: String(format: "%.0f MiB before", number("rss_before_mb")))
        table.add("config load", "peak RSS during load", number("peak_mb"), "MiB", users: users)
    }
}
