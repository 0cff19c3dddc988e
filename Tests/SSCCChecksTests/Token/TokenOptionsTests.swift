import CertDoctorCore
import Foundation
import Testing
import TestSupport
@testable import SSCCChecks
@testable import Doctor
@testable import Renewal
@testable import SSCCProfile
@testable import CertificateTarget
@testable import WindowsTarget
@testable import TokenTarget

@Suite struct TokenOptionsTests {
    @Test func thePINComesFromAFileOrTheEnvironmentOnly() throws {
        let directory = try ExternalProcess.temporaryDirectory("certdoctor-pin")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pin")
        try "4321\n".write(to: file, atomically: true, encoding: .utf8)

        let fromFile = try TokenOptions.fromCommandLine(pkcs11Module: "/m.so", tokenLabel: "t", pinFile: file.path, environment: [:])
        #expect(fromFile.pin?.reveal() == "4321")
        #expect(fromFile.pkcs11Module == "/m.so" && fromFile.tokenLabel == "t")
        let fromVariable = try TokenOptions.fromCommandLine(
            pkcs11Module: nil, tokenLabel: nil, pinFile: nil, environment: [TokenOptions.pinVariable: "9876"])
        #expect(fromVariable.pin?.reveal() == "9876")
        #expect(try TokenOptions.fromCommandLine(pkcs11Module: nil, tokenLabel: nil, pinFile: nil, environment: [:]).pin == nil)
        #expect(throws: SecretReader.Failure.self) {
            try TokenOptions.fromCommandLine(pkcs11Module: nil, tokenLabel: nil, pinFile: "/nonexistent/pin", environment: [:])
        }
    }

    /// With the PIN the private key itself is seen, not just its public half.
    @Test(.enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
    func withThePINTheCertificateCheckSeesThePrivateKey() async throws {
        let results = try await TokenHostScenario.all["one-token"]!.run(gateway: "F000504Y0007") { environment in
            var environment = environment
            environment.tokenOptions.pin = Secret(SoftHSMTokens.userPIN)
            return try TokenCheckTests.run(environment, only: TokenCheckTests.withDependencies("token.certificate"))
        }
        let result = try #require(results.first { $0.id == "token.certificate" })
        #expect(result.outcome == .pass)
        #expect(result.evidence.contains { $0.name == "key" && $0.value == "private key with the certificate's CKA_ID" })
        #expect(!result.evidence.contains { $0.value == SoftHSMTokens.userPIN })
    }
}
