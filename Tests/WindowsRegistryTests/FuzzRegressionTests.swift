import Foundation
import Testing
@testable import WindowsRegistry

/// Inputs found by the libFuzzer targets in Fuzz/; each once broke the round-trip property.
struct FuzzRegressionTests {
    func decoded(_ base64: String) throws -> [UInt8] {
        Array(try #require(Data(base64Encoded: base64)))
    }

    /// Duplicate sections and keys without values: the written form is stable, although keys that
    /// hold only subkeys lose their time (Wine does not write them either).
    @Test func hiveWithDuplicateSectionsHasAStableWrittenForm() throws {
        let hive = try WineHiveCodec.decode(try decoded(FuzzRegressionInputs.hiveWithDuplicateSections), fileName: "fuzz.reg")
        let written = WineHiveCodec.encode(hive)
        #expect(WineHiveCodec.encode(try WineHiveCodec.decode(written, fileName: "fuzz.reg")) == written)
    }

    /// Invalid UTF-16 in a Registry.pol is repaired on read; the repaired file is then stable.
    @Test func policyFileWithInvalidUTF16HasAStableWrittenForm() throws {
        let file = try PolicyFileCodec.decode(try decoded(FuzzRegressionInputs.policyFileWithInvalidUTF16), fileName: "fuzz.pol")
        let written = PolicyFileCodec.encode(file)
        #expect(try PolicyFileCodec.decode(written, fileName: "fuzz.pol") == file)
        #expect(PolicyFileCodec.encode(try PolicyFileCodec.decode(written, fileName: "fuzz.pol")) == written)
    }

    @Test func hiveWithoutKeysKeepsItsHeaderExactly() throws {
        let bytes = try decoded(FuzzRegressionInputs.hiveWithoutKeys)
        #expect(WineHiveCodec.encode(try WineHiveCodec.decode(bytes, fileName: "fuzz.reg")) == bytes)
    }

    @Test func hiveWithAHugeKeyTimeIsWrittenAsWineWouldAndStaysStable() throws {
        let hive = try WineHiveCodec.decode(try decoded(FuzzRegressionInputs.hiveWithHugeKeyTime), fileName: "fuzz.reg")
        let written = WineHiveCodec.encode(hive)
        #expect(WineHiveCodec.encode(try WineHiveCodec.decode(written, fileName: "fuzz.reg")) == written)
    }
}
