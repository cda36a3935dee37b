import Foundation
public import HeraldCore

/// Reads the files a config's `directory.files` patterns name: relative to the config
/// file's folder, expanded with the C library's `glob` (so `*`, `?` and `[…]` mean what
/// they mean in a shell), sorted. The I/O half of directory files; the core parses them.
public enum DirectoryFileGlob {
    /// A reader for patterns written in the config at `configPath`.
    public static func reader(forConfigAt configPath: String) -> DirectoryFileReader {
        let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().path
        return { pattern in read(pattern, in: folder) }
    }

    static func read(_ pattern: String, in folder: String) -> DirectoryFileLookup {
        guard !pattern.isEmpty else { return .failed("a directory file pattern must not be empty") }
        let full = pattern.hasPrefix("/") ? pattern : folder + "/" + pattern
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = glob(full, 0, nil, &matches)
        guard status == 0 else {
            if status == GLOB_NOMATCH {
                return pattern.contains(where: { "*?[".contains($0) })
                    ? .found([]) : .failed("cannot read '\(full)': no such file")
            }
            return .failed("cannot expand '\(pattern)' (glob error \(status))")
        }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            if let pointer = matches.gl_pathv[index] { paths.append(String(cString: pointer)) }
        }
        var files: [DirectoryFile] = []
        for path in paths.sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { return .failed("cannot read '\(path)'") }
            files.append(DirectoryFile(name: relative(path, to: folder), path: path, data: data))
        }
        return .found(files)
    }

    /// `teams/ops.json` for a file under the config's folder, else the full path.
    private static func relative(_ path: String, to folder: String) -> String {
        path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
    }
}
