import Foundation
import Testing
@testable import WindowsRegistry

struct PolicyFileCodecTests {
    func realFile(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: RepositoryPaths.realWorldPolicies.appendingPathComponent(name)))
    }

    @Test func deviceGuardPolicyIsReadExactlyAndWrittenBackIdentically() throws {
        let bytes = try realFile("deviceguard-machine.pol")
        let file = try PolicyFileCodec.decode(bytes, fileName: "deviceguard-machine.pol")
        #expect(file.records.count == 8)
        // Six records under DeviceGuard and two under Windows Defender (the data's README says all eight).
        #expect(file.records.filter { $0.key == "Software\\Policies\\Microsoft\\Windows\\DeviceGuard" }.count == 6)
        #expect(file.records.last?.key == "Software\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection")
        #expect(file.records.allSatisfy { $0.type == .dword && $0.data.count == 4 })
        #expect(file.records[0].valueName == "EnableVirtualizationBasedSecurity")
        #expect(PolicyFileCodec.encode(file) == bytes)
    }

    @Test func errorReportingPolicyKeepsUpperCaseKeyNames() throws {
        let bytes = try realFile("errorreporting-machine.pol")
        let file = try PolicyFileCodec.decode(bytes, fileName: "errorreporting-machine.pol")
        #expect(file.records.count == 20)
        #expect(file.records[0].key.hasPrefix("SOFTWARE\\Policies\\Microsoft\\PCHealth\\ErrorReporting"))
        #expect(PolicyFileCodec.encode(file) == bytes)
        // Applying it lands under the same key however the case is spelt.
        var root = RegistryKey(name: "")
        file.apply(to: &root)
        #expect(root.key(at: "Software\\policies\\microsoft\\pchealth\\errorreporting") != nil)
    }

    @Test func keyOnlyRecordIsToleratedOnRead() throws {
        let bytes = try realFile("pincomplexity-keyonly.pol")
        let file = try PolicyFileCodec.decode(bytes, fileName: "pincomplexity-keyonly.pol")
        #expect(file.records.count == 8)
        let first = try #require(file.records.first)
        #expect(first.key == "Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer")
        #expect(first.valueName.isEmpty && first.type == .none && first.data.isEmpty)
        #expect(first.action == .createKey)
        let digits = try #require(file.records.first { $0.valueName == "Digits" })
        #expect(RegistryValue(name: digits.valueName, type: digits.type, data: digits.data).dwordValue == 1)
        #expect(PolicyFileCodec.encode(file) == bytes)
        var root = RegistryKey(name: "")
        file.apply(to: &root)
        #expect(root.key(at: first.key) != nil)
    }

    @Test func fileWhoseNulBytesBecameSpacesIsRejectedNamingTheProblem() throws {
        let bytes = try realFile("vdot-user-mangled.pol")
        let error = #expect(throws: RegistryError.self) { try PolicyFileCodec.decode(bytes, fileName: "Registry.pol") }
        #expect(error == .malformed(file: "Registry.pol", line: 0, problem: .policyNulBytesReplacedBySpaces))
        #expect(error?.errorDescription?.contains("NUL byte has become a space") == true)
        #expect(error?.chineseDescription.contains("空格") == true)
    }

    @Test func fileCutInsideARecordIsRejected() throws {
        let bytes = try realFile("deviceguard-machine.pol")
        for cut in [9, 40, bytes.count - 3, bytes.count - 1] {
            let error = #expect(throws: RegistryError.self) { try PolicyFileCodec.decode(Array(bytes[0..<cut]), fileName: "cut.pol") }
            guard case .malformed(_, _, .policyRecordTruncated)? = error else {
                Issue.record("cut at \(cut): \(String(describing: error))")
                continue
            }
        }
        #expect(throws: RegistryError.self) { try PolicyFileCodec.decode(Array("PReX\u{1}\0\0\0".utf8), fileName: "x.pol") }
    }

    @Test func deletionMarkersAreAppliedInOrder() throws {
        let key = "Software\\Policies\\Test"
        func marker(_ name: String, _ data: String = " ") -> PolicyRecord {
            PolicyRecord(key: key, value: RegistryValue(name: name, string: data))
        }
        let file = PolicyFile(records: [
            PolicyRecord(key: key, value: RegistryValue(name: "a", dword: 1)),
            PolicyRecord(key: key, value: RegistryValue(name: "b", dword: 2)),
            PolicyRecord(key: key, value: RegistryValue(name: "c", dword: 3)),
            PolicyRecord(key: key + "\\Sub1", value: RegistryValue(name: "x", dword: 1)),
            PolicyRecord(key: key + "\\Sub2", value: RegistryValue(name: "x", dword: 1)),
            marker("**del.A"),
            marker("**DeleteValues", "b;nothing"),
            marker("**DeleteKeys", "sub1"),
            PolicyRecord(key: key + "\\Other", value: RegistryValue(name: "keep", dword: 1)),
            PolicyRecord(key: key + "\\Other", value: RegistryValue(name: "drop", dword: 1)),
            PolicyRecord(key: key + "\\Other", value: RegistryValue(name: "**delvals.", string: " ")),
            PolicyRecord(key: key + "\\Other", value: RegistryValue(name: "after", dword: 9)),
            marker("**soft.c", "ignored because c exists"),
            marker("**soft.d", "set"),
        ])
        var root = RegistryKey(name: "")
        file.apply(to: &root)
        let target = try #require(root.key(at: key))
        #expect(target.values.map(\.name) == ["c", "d"])
        #expect(target.value(named: "c")?.dwordValue == 3)
        #expect(target.subkeys.map(\.name) == ["Other", "Sub2"])
        #expect(root.key(at: key + "\\Other")?.values.map(\.name) == ["after"])
        let bytes = PolicyFileCodec.encode(file)
        #expect(try PolicyFileCodec.decode(bytes, fileName: "t.pol") == file)
    }

    @Test func scopeFollowsTheFolder() {
        #expect(PolicyScope(filePath: "/x/GroupPolicy/Machine/Registry.pol") == .machine)
        #expect(PolicyScope(filePath: "/x/GroupPolicy/User/Registry.pol") == .user)
        #expect(PolicyScope(filePath: "/x/Registry.pol") == nil)
    }
}
