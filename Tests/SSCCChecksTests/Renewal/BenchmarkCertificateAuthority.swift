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
import TestSupport

/// The CA for `Benchmarks/renew/run.sh`: the test CMP CA of TestSupport over HTTP on 127.0.0.1, with a working
/// certificate it issued. Not a test: it runs only when the benchmark script sets the variable, and serves until
/// the script creates `stop` in the directory.
@Suite struct BenchmarkCertificateAuthority {
    static let variable = "CERTDOCTOR_RENEWAL_BENCHMARK_DIR"

    @Test(.enabled(if: ProcessInfo.processInfo.environment[variable] != nil, "serves the renewal benchmark's CA only for Benchmarks/renew/run.sh"))
    func serveForBenchmark() throws {
        let root = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment[Self.variable]))
        let scene = try RenewalWorkspace(root: root)
        try Data(RenewalWorkspace.password.utf8).write(to: scene.passwordFile)
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        try FileManager.default.copyItem(at: scene.pfx, to: root.appendingPathComponent("original.pfx"))
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: authority), maxConnections: 1000, lifetime: 600)
        defer { listener.stop() }
        try Data(listener.url.absoluteString.utf8).write(to: root.appendingPathComponent("url"))
        let stop = root.appendingPathComponent("stop").path
        let deadline = Date().addingTimeInterval(600)
        while !FileManager.default.fileExists(atPath: stop), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
