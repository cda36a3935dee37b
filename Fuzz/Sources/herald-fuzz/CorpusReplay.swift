import Foundation

/// Replays files through a target without libFuzzer (plain builds, CI, debugging a crash).
enum CorpusReplay {
    /// Runs every file (directories: every regular file inside, sorted) through
    /// `target`; prints each path first, so a crash is attributed to its input.
    static func run(_ target: FuzzTarget, paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("herald-fuzz: give files or directories to replay\n".utf8))
            return 2
        }
        var count = 0
        for url in paths.flatMap(files(at:)) {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                FileHandle.standardError.write(Data("herald-fuzz: cannot read \(url.path)\n".utf8))
                return 1
            }
            print("replay \(target.rawValue) \(url.path)")
            target.run(data)
            count += 1
        }
        print("replayed \(count) inputs through \(target.rawValue): no crash")
        return 0
    }

    static func files(at path: String) -> [URL] {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [url] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { url.appendingPathComponent($0) }
    }
}
