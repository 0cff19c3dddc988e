import Foundation
import Testing
@testable import WindowsRegistry

/// Inputs found by the libFuzzer targets in Fuzz/; each once broke the round-trip property.
struct FuzzRegressionTests {
    func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: RepositoryPaths.fixtures.appendingPathComponent("fuzz/" + name)))
    }

    /// Duplicate sections and keys without values: the written form is stable, although keys that
    /// hold only subkeys lose their time (Wine does not write them either).
    @Test func hiveWithDuplicateSectionsHasAStableWrittenForm() throws {
        let hive = try WineHiveCodec.decode(try fixture("hive-empty-parent-and-duplicates.reg"), fileName: "fuzz.reg")
        let written = WineHiveCodec.encode(hive)
        #expect(WineHiveCodec.encode(try WineHiveCodec.decode(written, fileName: "fuzz.reg")) == written)
    }

    /// Invalid UTF-16 in a Registry.pol is repaired on read; the repaired file is then stable.
    @Test func policyFileWithInvalidUTF16HasAStableWrittenForm() throws {
        let file = try PolicyFileCodec.decode(try fixture("pol-invalid-utf16.pol"), fileName: "fuzz.pol")
        let written = PolicyFileCodec.encode(file)
        #expect(try PolicyFileCodec.decode(written, fileName: "fuzz.pol") == file)
        #expect(PolicyFileCodec.encode(try PolicyFileCodec.decode(written, fileName: "fuzz.pol")) == written)
    }
}
