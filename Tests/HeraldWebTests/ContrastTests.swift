import Foundation
import Testing
@testable import HeraldWeb

/// Colour contrast of the stylesheet Herald ships (WCAG 2.x, success criterion 1.4.3:
/// at least 4.5:1 for body text; 1.4.11: 3:1 for the focus ring against the page),
/// computed from the colours in `Stylesheet.text` itself, so a changed colour is
/// measured again rather than trusted.
struct ContrastTests {
    /// One CSS rule: its selectors and the colours it declares.
    struct Rule {
        let selectors: [String]
        let color: String?
        let background: String?
        let outline: String?
    }

    /// The innermost `selector{declarations}` blocks (an `@media` wrapper is skipped: its
    /// rules change layout only, which `mediaRulesSetNoColour` checks).
    static func rules(_ css: String = Stylesheet.text) -> [Rule] {
        let pattern = try! NSRegularExpression(pattern: #"([^{}]+)\{([^{}]*)\}"#)
        return pattern.matches(in: css, range: NSRange(css.startIndex..., in: css)).map { match in
            let selector = String(css[Range(match.range(at: 1), in: css)!])
            let body = String(css[Range(match.range(at: 2), in: css)!])
            var declarations: [String: String] = [:]
            for part in body.split(separator: ";") {
                let pair = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if pair.count == 2 { declarations[pair[0]] = pair[1] }
            }
            let hex = { (value: String?) -> String? in
                guard let value, let found = value.range(of: #"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b"#, options: .regularExpression) else { return nil }
                return String(value[found])
            }
            let name = selector.components(separatedBy: "{").last!.trimmingCharacters(in: .whitespacesAndNewlines)
            return Rule(selectors: name.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                        color: hex(declarations["color"]), background: hex(declarations["background"] ?? declarations["background-color"]),
                        outline: hex(declarations["outline"]))
        }
    }

    static func rule(_ selector: String) -> Rule? { rules().first { $0.selectors.contains(selector) } }

    /// Relative luminance of `#rgb` / `#rrggbb` (WCAG 2.x definition, sRGB).
    static func luminance(_ hex: String) -> Double {
        var digits = String(hex.dropFirst())
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        let channels = stride(from: 0, to: 6, by: 2).map { i -> Double in
            let start = digits.index(digits.startIndex, offsetBy: i)
            let c = Double(Int(digits[start..<digits.index(start, offsetBy: 2)], radix: 16)!) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    }

    static func ratio(_ a: String, _ b: String) -> Double {
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// The formula itself, on pairs whose ratios are known.
    @Test func ratioMatchesTheWCAGReferenceValues() {
        #expect(abs(Self.ratio("#000", "#fff") - 21) < 0.001)
        #expect(abs(Self.ratio("#fff", "#fff") - 1) < 0.001)
        #expect(abs(Self.ratio("#777777", "#ffffff") - 4.48) < 0.01)   // the classic "just fails" grey
        #expect(abs(Self.ratio("#767676", "#ffffff") - 4.54) < 0.01)   // and the one that just passes
    }

    /// Every rule that sets both a text colour and a background (buttons, notices, state
    /// badges, inputs, the page itself).
    @Test func everyRuleWithTextAndBackgroundReachesFourAndAHalf() {
        let pairs = Self.rules().filter { $0.color != nil && $0.background != nil }
        #expect(pairs.count >= 10)
        for rule in pairs {
            let ratio = Self.ratio(rule.color!, rule.background!)
            #expect(ratio >= 4.5, "\(rule.selectors): \(rule.color!) on \(rule.background!) is \(ratio):1")
        }
    }

    /// Text colours without their own background sit on the page or on a white box
    /// (tables, facts, panels); those in the navigation bar sit on its background.
    @Test func textOnTheSurfacesItSitsOnReachesFourAndAHalf() throws {
        let page = try #require(Self.rule("body")?.background)
        let boxes = try ["table", "dl.facts", ".panel"].map { try #require(Self.rule($0)?.background) }
        let bar = try #require(Self.rule("nav")?.background)
        let texts = Self.rules().filter { $0.color != nil && $0.background == nil }
        #expect(texts.count >= 4)
        for rule in texts {
            let inBar = rule.selectors.allSatisfy { $0.hasPrefix("nav ") }
            for surface in inBar ? [bar] : [page] + boxes {
                let ratio = Self.ratio(rule.color!, surface)
                #expect(ratio >= 4.5, "\(rule.selectors): \(rule.color!) on \(surface) is \(ratio):1")
            }
        }
    }

    /// Backgrounds without their own text colour take it from the element's base rule:
    /// each is listed here with that rule, and a new one fails until it is.
    @Test func backgroundsWithInheritedTextReachFourAndAHalf() throws {
        let inheritsFrom = ["button.danger": "button", "nav": "nav a", "dl.facts": "body", "table": "body", ".panel": "body"]
        for rule in Self.rules() where rule.background != nil && rule.color == nil {
            let selector = try #require(rule.selectors.first)
            let base = try #require(inheritsFrom[selector], "'\(selector)' sets a background but no colour: say which rule its text colour comes from")
            let color = try #require(Self.rule(base)?.color)
            let ratio = Self.ratio(color, rule.background!)
            #expect(ratio >= 4.5, "\(selector): \(color) (from \(base)) on \(rule.background!) is \(ratio):1")
        }
    }

    /// The keyboard focus ring is a non-text indicator: 3:1 against the page and boxes.
    @Test func focusRingStandsOutAgainstThePage() throws {
        let ring = try #require(Self.rules().first { $0.selectors.contains(":focus-visible") }?.outline)
        for surface in try [#require(Self.rule("body")?.background), #require(Self.rule("table")?.background)] {
            #expect(Self.ratio(ring, surface) >= 3, "focus ring \(ring) on \(surface)")
        }
    }

    /// Rules inside `@media` blocks change layout only, so the checks above see every colour.
    @Test func mediaRulesSetNoColour() throws {
        let media = try #require(Stylesheet.text.range(of: "@media"))
        let rest = Stylesheet.text[media.lowerBound...]
        let block = rest.prefix { $0 != "\n" }
        #expect(!block.contains("color") && !block.contains("background"))
    }
}
