import CertDoctorCore
import Foundation
import Testing
@testable import WindowsTarget

/// Edge's Preferences as the IE-mode check reads it: the user's IE-mode pages, or malformed input naming the file
/// when the file is not what Edge writes.
@Suite struct EdgePreferencesTests {
    func file(_ text: String) -> ExportedFile {
        ExportedFile(name: "Preferences", displayPath: "/tickets/1234/Preferences", bytes: Array(text.utf8))
    }

    @Test func theUserListsPagesAreReadSorted() throws {
        let text = #"{"dual_engine": {"user_list_data_1": {"https://b.example/": {"date_added": "1"}, "https://a.example/": {}}}}"#
        #expect(try EdgePreferences.read(file(text)).ieModeUserPages == ["https://a.example/", "https://b.example/"])
    }

    /// A profile that never used IE mode has no `dual_engine`, or one without the list: no pages, not an error.
    @Test(arguments: [#"{}"#, #"{"dual_engine": {}}"#, #"{"browser": {"x": 1}, "dual_engine": {"other": []}}"#])
    func aProfileWithoutTheListHasNoPages(_ text: String) throws {
        #expect(try EdgePreferences.read(file(text)).ieModeUserPages.isEmpty)
    }

    /// A member of another type than Edge writes is malformed (exit 65), never "no pages": it could hide the portal.
    @Test(arguments: [
        (#"[]"#, "(top level)"),
        (#"{"dual_engine": "on"}"#, "dual_engine"),
        (#"{"dual_engine": {"user_list_data_1": ["https://biz.sscc.com/"]}}"#, "dual_engine.user_list_data_1"),
    ])
    func aMemberOfTheWrongTypeIsMalformedNamingFileAndMember(_ text: String, _ member: String) {
        do {
            _ = try EdgePreferences.read(file(text))
            Issue.record("\(text) was read")
        } catch {
            #expect(error.localizedMessage.en.contains("/tickets/1234/Preferences"), "\(error.localizedMessage.en)")
            #expect(error.localizedMessage.en.contains(member), "\(error.localizedMessage.en)")
            #expect(error.localizedMessage.zh.contains(member), "\(error.localizedMessage.zh)")
            #expect(error.ending == .dataError)
        }
    }

    @Test func textThatIsNotJSONIsMalformed() {
        #expect(throws: EdgePreferences.Malformed.self) { try EdgePreferences(bytes: Array(#"{"dual_engine": "#.utf8)) }
    }
}
