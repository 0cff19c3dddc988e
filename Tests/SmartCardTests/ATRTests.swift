import Testing
import TestSupport
@testable import SmartCard

@Suite struct ATRTests {
    @Test func parsesTheFormsATRsAreWrittenIn() throws {
        let spaced = try #require(ATR(hex: "3B 9F 95 81"))
        #expect(ATR(hex: "3b:9f:95:81") == spaced)
        #expect(ATR(hex: "3B9F9581") == spaced)
        #expect(spaced.hex == "3B 9F 95 81")
        #expect(ATR(hex: "3B 9") == nil)
        #expect(ATR(hex: "3B ZZ") == nil)
        #expect(ATR(hex: "") == nil)
    }

    @Test func exactPatternMatchesOnlyTheSameBytes() throws {
        let ePass3003 = try #require(ATR(hex: TestEnvironment.ePass3003ATR))
        let pattern = ATRPattern(value: ePass3003)
        #expect(pattern.matches(ePass3003))
        #expect(!pattern.matches(try #require(ATR(hex: TestEnvironment.otherCardATR))))
        #expect(!pattern.matches(ATR(bytes: Array(ePass3003.bytes.dropLast()))))
    }

    /// OpenSC's epass2003 pattern (card-epass2003.c) matches the ePass3003 Auto ATR: the mask
    /// hides the bytes that differ between models.
    @Test func maskedPatternMatchesAFamily() throws {
        let value = try #require(ATR(hex: "3B 9F 95 81 31 FE 9F 00 66 46 53 05 00 00 00 71 DF 00 00 00 00 00 00"))
        let mask = try #require(HexBytes.parse("FF FF FF FF FF FF FF FF FF FF FF FF 00 00 00 FF FF FF FF 00 00 00 00"))
        let family = ATRPattern(value: value, mask: mask)
        #expect(family.matches(try #require(ATR(hex: TestEnvironment.ePass3003ATR))))
        #expect(!family.matches(try #require(ATR(hex: TestEnvironment.otherCardATR))))
        #expect(!ATRPattern(value: value).matches(try #require(ATR(hex: TestEnvironment.ePass3003ATR))))
    }
}
