public import Foundation

extension JSONValue {
    /// Whole numbers below this are read back as `Int` (`JSONBytesWriter` writes them
    /// as integers, and `JSONSerialization` reads integers as `Int`).
    static let foundationIntegerLimit = 1e15

    /// The value as the objects `JSONSerialization` reads and writes: `NSNull`, `Bool`,
    /// `Int` or `Double`, `String`, `[Any]`, `[String: Any]`. For documents assembled
    /// around a piece written elsewhere (explain's output around a notification's
    /// document). Unlike a `JSONSerialization` round trip, `-0` stays `-0.0` and
    /// `1.2345678901234568e+17` a `Double`, so the piece serialises to the same text as
    /// the values it was written from.
    public var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let value):
            if value.rounded(.towardZero) == value, abs(value) < JSONValue.foundationIntegerLimit, value != 0 || value.sign == .plus {
                Int(value)
            } else {
                value
            }
        case .string(let value): value
        case .array(let elements): elements.map(\.foundationObject)
        case .object(let members): members.mapValues(\.foundationObject)
        }
    }
}
