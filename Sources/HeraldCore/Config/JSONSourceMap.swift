public import Foundation

/// Where each value of a JSON text starts, for the `line:column` of config errors.
///
/// Built only when a config has issues to report (`ConfigLoader.locate`), so a valid
/// config never pays for it; `JSONParser` reads values and duplicate keys in its own
/// single pass. This scanner walks the already-valid text once, tracking only structure
/// (strings, brackets, commas, colons) — it converts no values.
public struct JSONSourceMap: Sendable {
    /// Start of the value at each path (for object members: where the key starts).
    public private(set) var positions: [JSONPath: SourcePosition] = [:]
    /// Scans `data`, which must already be valid JSON.
    public init(scanning data: Data) {
        var scanner = Scanner(bytes: [UInt8](data))
        scanner.scanValue()
        positions = scanner.positions
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    public func position(of path: JSONPath) -> SourcePosition? {
        var components = path.components
        while true {
            if let found = positions[JSONPath(components)] { return found }
            if components.isEmpty { return nil }
            components.removeLast()
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0
        var positions: [JSONPath: SourcePosition] = [:]
        /// The path of the value being scanned, as a stack.
        var stack: [JSONPath.Component] = []

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        var here: SourcePosition { SourcePosition(line: line, column: index - lineStart + 1) }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\n"):
                    line += 1
                    index += 1
                    lineStart = index
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    index += 1
                default:
                    return
                }
            }
        }

        mutating func scanValue(keyPosition: SourcePosition? = nil) {
            skipWhitespace()
            guard index < bytes.count else { return }
            positions[JSONPath(stack)] = keyPosition ?? here
            switch bytes[index] {
            case UInt8(ascii: "{"): scanObject()
            case UInt8(ascii: "["): scanArray()
            case UInt8(ascii: "\""): _ = scanString()
            default:
                // number, true, false, null: run to the next delimiter
                while index < bytes.count, !JSONSourceMap.delimiters.contains(bytes[index]) { index += 1 }
            }
        }

        mutating func scanObject() {
            index += 1
            while true {
                skipWhitespace()
                guard index < bytes.count else { return }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                let keyPosition = here
                let key = scanString()
                stack.append(.key(key))
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
                scanValue(keyPosition: keyPosition)
                stack.removeLast()
            }
        }

        mutating func scanArray() {
            index += 1
            var element = 0
            while true {
                skipWhitespace()
                guard index < bytes.count else { return }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                stack.append(.index(element))
                scanValue()
                stack.removeLast()
                element += 1
            }
        }

        /// Returns the string's contents. Escapes are decoded only as far as needed to
        /// name keys: `\"` and `\\`; other escapes are kept verbatim.
        mutating func scanString() -> String {
            index += 1
            var raw: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; break }
                if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                    let next = bytes[index + 1]
                    if next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") { raw.append(next) } else { raw.append(byte); raw.append(next) }
                    index += 2
                    continue
                }
                raw.append(byte)
                index += 1
            }
            return String(decoding: raw, as: UTF8.self)
        }
    }

    static let delimiters: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"),
                                         UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r")]
}
