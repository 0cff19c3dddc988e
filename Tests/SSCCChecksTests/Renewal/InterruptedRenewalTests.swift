import CertDoctorCore
import Foundation
import PKI
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A renewal killed between writing the new PFX and renaming it, and a renewal on a full disk: the working
/// certificate must come out byte-identical and no half-written file may take its place.
@Suite struct InterruptedRenewalTests {
    static let childVariable = "CERTDOCTOR_RENEWAL_TEST_SCENE"

    /// Not a test of its own: the body the kill test runs in a child copy of this test binary, where
    /// `CERTDOCTOR_FAULT_INJECTION` kills it just before the rename.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil, "runs only as the kill test's child"))
    func childImportsIntoScene() throws {
        let root = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment[Self.childVariable]))
        let scene = try RenewalWorkspace(root: root)
        _ = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
    }

    @Test func killedBetweenWriteAndRenameLeavesTheOldCertificateInPlace() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))

        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = scene.root.path
        environment["CERTDOCTOR_FAULT_INJECTION"] = FaultInjection.renewalBeforeRename.rawValue
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let child = try CertDoctorCore.ChildProcess.run(
            testBinary,
            arguments: ["--testing-library", "swift-testing", "--filter", "InterruptedRenewalTests/childImportsIntoScene"],
            environment: environment, deadline: Date().addingTimeInterval(60))
        #expect(child.reason == .signalled(SIGKILL), "\(child.outputText)\(child.errorText)")

        #expect(try scene.bytes(scene.pfx) == oldBytes)
        // The child got as far as the verified temporary file: it is the only thing left beside the target.
        let leftovers = scene.strays()
        #expect(leftovers.count == 1)
        #expect(leftovers.allSatisfy { $0.hasPrefix(AtomicFile.temporaryPrefix) })

        // Run again without the fault: it completes, and the leftover is cleared.
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        #expect(scene.strays().isEmpty)
        let archivedOld = try #require(result.record?.archivedOld)
        #expect(try scene.bytes(URL(fileURLWithPath: archivedOld)) == oldBytes)
    }
}

/// A full disk where the certificate lives, on a small tmpfs (needs root, as CI runs it).
@Suite(.serialized) struct FullDiskRenewalTests {
    static let canMountTmpfs: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-tmpfs-probe-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil,
              (try? RenewalWorkspace.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path])) != nil
        else { return false }
        _ = try? RenewalWorkspace.run("/bin/umount", [probe.path])
        return true
    }()

    /// `pagesLeft` 0: nothing can be written (the archive fails); 2: both archives fit, the new PFX does not.
    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root"), arguments: [0, 2])
    func fullDiskLeavesTheWorkingCertificateUntouched(pagesLeft: Int) throws {
        let outer = try RenewalWorkspace()
        defer { outer.remove() }
        let disk = outer.root.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try RenewalWorkspace.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk.path])
        defer { _ = try? RenewalWorkspace.run("/bin/umount", ["-l", disk.path]) }

        let scene = try RenewalWorkspace(root: outer.root, certificateDirectory: disk)
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        try FileManager.default.createDirectory(at: scene.archive, withIntermediateDirectories: true)
        try fill(disk, leaving: pagesLeft)

        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(result.status == .cannotCreate, "\(result.outcome): \(result.message?.en ?? "")")
        #expect(result.message?.en.contains("No space left") == true)
        #expect(try scene.bytes(scene.pfx) == oldBytes)
        #expect(scene.strays() == ["filler"])
        let archived = scene.archived()
        #expect(archived.allSatisfy { !$0.hasPrefix(AtomicFile.temporaryPrefix) })
        #expect(archived.count == (pagesLeft == 0 ? 0 : 2))
    }

    /// Takes all but `pages` pages of the file system.
    func fill(_ directory: URL, leaving pages: Int) throws {
        var info = statvfs()
        guard statvfs(directory.path, &info) == 0 else { throw RenewalWorkspace.ToolFailure(command: "statvfs", output: "") }
        let page = Int(info.f_bsize)
        let free = Int(info.f_bavail) * page
        let size = max(0, free - pages * page)
        try Data(count: size).write(to: directory.appendingPathComponent("filler"))
    }
}
