import Testing
@testable import HeraldCore

/// The one LEB128 reader and writer both compact forms use.
struct LEB128Tests {
    @Test(arguments: [0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, Int.max, Int.min])
    func signedNumbersComeBackAndSmallOnesTakeOneByte(_ value: Int) {
        var bytes: [UInt8] = []
        LEB128.appendSigned(value, to: &bytes)
        var position = 0
        #expect(LEB128.readSigned(bytes, at: &position) == value)
        #expect(position == bytes.count)
        if (-64...63).contains(value) { #expect(bytes.count == 1) }
    }

    @Test func unsignedNumbersAreSevenBitsAByteLowFirst() {
        var bytes: [UInt8] = []
        LEB128.appendUnsigned(300, to: &bytes)
        #expect(bytes == [0xAC, 0x02])
        LEB128.appendUnsigned(UInt64.max, to: &bytes)
        var position = 0
        #expect(LEB128.readUnsigned(bytes, at: &position) == 300)
        #expect(LEB128.readUnsigned(bytes, at: &position) == UInt64.max)
        #expect(position == bytes.count)
    }

    @Test func aNumberCutShortOrTooLongIsNil() {
        var position = 0
        #expect(LEB128.readUnsigned([0x80, 0x80] as [UInt8], at: &position) == nil)
        position = 0
        #expect(LEB128.readUnsigned([UInt8](repeating: 0xFF, count: 11), at: &position) == nil)
        position = 0
        #expect(LEB128.readSigned([] as [UInt8], at: &position) == nil)
    }
}
