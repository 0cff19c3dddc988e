import CertDoctorCore
import Foundation
import Testing
@testable import WindowsRegistry

struct WinePrefixLocationTests {
    func makePrefix() throws -> URL {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("certdoctor-locate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".wine"), withIntermediateDirectories: true)
        try Data(WineHiveCodec.encode(WineHive(relativeTo: "REGISTRY\\User\\S-1-5-21-0-0-0-1000"))).write(to: directory.appendingPathComponent(".wine/user.reg"))
        return directory
    }

    @Test func explicitDirectoryThenWINEPREFIXThenHomeDotWine() throws {
        let home = try makePrefix()
        defer { try? FileManager.default.removeItem(at: home) }
        let prefix = home.appendingPathComponent(".wine").path
        #expect(try WinePrefix.locate(explicit: prefix + "/", environment: [:]).directory.path == prefix)
        #expect(try WinePrefix.locate(environment: ["WINEPREFIX": prefix]).directory.path == prefix)
        #expect(try WinePrefix.locate(environment: ["HOME": home.path]).directory.path == prefix)
        let missing = #expect(throws: RegistryError.self) { try WinePrefix.locate(explicit: home.path, environment: [:]) }
        #expect(missing?.ending == .noInput)
    }

    @Test func noServerIsReportedForAPrefixWithoutOne() throws {
        let home = try makePrefix()
        defer { try? FileManager.default.removeItem(at: home) }
        let prefix = WinePrefix(directory: home.appendingPathComponent(".wine"))
        #expect(prefix.serverDirectories().first?.path.hasPrefix("/tmp/.wine-\(getuid())/server-") == true)
        #expect(prefix.runningServerPID() == nil)
        // A hive write without a server goes through and reads back.
        var registry = try prefix.load()
        var snapshot = registry.snapshot
        snapshot.withKey(creating: try RegistryPath(parsing: "HKCU\\Software\\证书")) { $0.setValue(RegistryValue(name: "v", dword: 3)) }
        registry.update(from: snapshot)
        #expect(try prefix.save(registry) == [.user])
        #expect(try prefix.load().snapshot.key(at: try RegistryPath(parsing: "HKCU\\Software\\证书"))?.value(named: "v")?.dwordValue == 3)
    }
}
