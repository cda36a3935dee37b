import Testing
@testable import HeraldSupport

/// #17 item 12: client-supplied values cannot forge or repaint log lines.
struct LoggerEscapingTests {
    @Test(arguments: [
        // A bare carriage return: a terminal would overwrite the start of the line.
        ("a\rb", #""a\rb""#),
        // CR LF is one Swift Character; both scalars are escaped.
        ("a\r\nlevel=error msg=forged", #""a\r\nlevel=error msg=forged""#),
        ("a\nb", #""a\nb""#),
        ("tab\there", #""tab\there""#),
        // Terminal escape sequences and the Unicode line separator.
        ("\u{1b}[2Jx", #""\u{1b}[2Jx""#),
        ("a\u{2028}b", #""a\u{2028}b""#),
        ("plain", "plain"),
        (#"q"b\s"#, #""q\"b\\s""#),
    ])
    func valuesAreEscapedByScalar(_ value: String, _ expected: String) {
        #expect(Logger.quote(value) == expected)
    }

    @Test func aLineStaysOneLine() {
        let line = Logger(label: "t", environment: [:]).format(.warning, "bad input\r\nlevel=error msg=forged", ["value": "x\ry"])
        #expect(!line.unicodeScalars.contains { $0 == "\r" || $0 == "\n" })
        #expect(line == #"level=warning logger=t msg="bad input\r\nlevel=error msg=forged" value="x\ry""#)
    }
}
