extension JSONParser {
    /// Where each value of a document starts, for the `line:column` of config errors:
    /// for an object member where its key starts, for an array element or the root where
    /// the value starts. Lines and columns count as in `JSONSyntaxError` (bytes, from
    /// after a byte-order mark).
    ///
    /// Recorded by the parser in the pass that reads the values, and only when asked
    /// (`parse(_:recordingPositions:)`): the config loader asks when it has issues to
    /// place, so a valid config and every event pay for no position at all.
    public struct Positions: Sendable {
        /// Start of the value at each path. Of two equal keys the later one's is kept,
        /// as its value is.
        public private(set) var starts: [JSONPath: SourcePosition] = [:]

        /// The position of `path`, or of its nearest ancestor that has one (a missing
        /// member is reported where the object that lacks it starts).
        public func position(of path: JSONPath) -> SourcePosition? {
            var components = path.components
            while true {
                if let found = starts[JSONPath(components)] { return found }
                if components.isEmpty { return nil }
                components.removeLast()
            }
        }
    }
}

/// What the parser does with where each value starts. A static `isRecording` rather than
/// a stored flag: the reader is specialised for each recorder, so with
/// `IgnoredPositions` every recording branch is removed at compile time.
protocol PositionRecorder {
    static var isRecording: Bool { get }
    mutating func record(_ path: JSONPath, _ position: SourcePosition)
    /// What the document carries: the positions, or nil when none were recorded.
    var recorded: JSONParser.Positions? { get }
}

/// Positions not wanted (events, valid configs): no storage, no work.
struct IgnoredPositions: PositionRecorder {
    static var isRecording: Bool { false }
    func record(_ path: JSONPath, _ position: SourcePosition) {}
    var recorded: JSONParser.Positions? { nil }
}

extension JSONParser.Positions: PositionRecorder {
    static var isRecording: Bool { true }
    mutating func record(_ path: JSONPath, _ position: SourcePosition) { starts[path] = position }
    var recorded: JSONParser.Positions? { self }
}

extension JSONByteReader {
    /// Records where the value at `index` starts (or `keyPosition`, for an object
    /// member): at the member `component` of the container being read, or the root
    /// when `component` is nil. `path` is the open container's own path here.
    mutating func recordPosition(of component: JSONPath.Component?, at keyPosition: SourcePosition?) {
        let position = keyPosition ?? SourcePosition(line: line, column: index - lineStart + 1)
        recorder.record(JSONPath(component.map { path + [$0] } ?? path), position)
    }
}
