import CertDoctorCore
import Foundation
import SmartCard
import Testing
import TestSupport
@testable import SSCCChecks
@testable import Doctor
@testable import TokenTarget
@testable import SSCCProfile

/// `token.room` and how `token.certificate` treats what a hardware renewal leaves on the token, evaluated on
/// SoftHSM2 tokens through the real module (no pcscd: these checks read the token through PKCS#11 only).
@Suite(.serialized) struct TokenRenewalLeftoverTests {
    init() throws {
        _ = try SoftHSMTokens.shared.get()
    }

    private func context(token: String) throws -> CheckContext {
        var environment = Environment.targets(gateway: SoftHSMTokens.gatewayNumber, tokenRequested: true, language: .en)
        environment.tokenOptions = TokenOptions(
            pkcs11Module: TestEnvironment.softHSMModule, tokenLabel: token, tokenDatabase: TestEnvironment.tokenProfile)
        let doctor = try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: TestEnvironment.repositoryRoot), pluginDirectories: [])
        return CheckContext(environment: doctor.prepare(environment))
    }

    @Test func aPendingCertificateIsNotTheGatewaysCertificate() throws {
        let finding = try TokenCertificateCheck().evaluate(context(token: SoftHSMTokens.pendingLabel))
        #expect(finding.outcome == .fail, "\(finding.message.en)")
        #expect(finding.evidence.contains { $0.name == "setAside" && $0.value.hasSuffix("F000504Y0007.pending") })
    }

    @Test func anOldPairSetAsideIsIgnored() throws {
        let finding = try TokenCertificateCheck().evaluate(context(token: SoftHSMTokens.renewedLabel))
        #expect(finding.outcome == .pass, "\(finding.message.en)")
        #expect(!finding.message.en.contains("other certificates"), "\(finding.message.en)")
        #expect(finding.evidence.filter { $0.name == "label" }.map(\.value) == ["F000504Y0007"])
        #expect(finding.evidence.contains { $0.name == "setAside" && $0.value.hasSuffix("F000504Y0007.old-0A1B") })
    }

    @Test func twoCandidatesPassWithAWarning() throws {
        let finding = try TokenCertificateCheck().evaluate(context(token: SoftHSMTokens.twoCandidatesLabel))
        #expect(finding.outcome == .pass, "\(finding.message.en)")
        #expect(finding.message.en.contains("the token holds other certificates for this gateway (F000504Y0007)"), "\(finding.message.en)")
        #expect(finding.message.zh.contains("令牌中还有该网关的其他证书"))
    }

    /// SoftHSM keeps no memory count: the room is judged by the objects, which the message says.
    @Test func roomByObjectCountOnSoftHSM() throws {
        let finding = try TokenRoomCheck().evaluate(context(token: SoftHSMTokens.gatewayLabel))
        #expect(finding.outcome == .pass, "\(finding.message.en)")
        // The certificate and the public key; the private key hides until login.
        #expect(finding.message.en.contains("does not report its free memory; judged by its objects: 2 visible"), "\(finding.message.en)")
        #expect(finding.evidence.contains { $0.name == "freePublicMemory" && $0.value == "not reported" })
        let full = try TokenRoomCheck().evaluate(context(token: SoftHSMTokens.fullLabel))
        #expect(full.outcome == .fail, "\(full.message.en)")
        #expect(full.message.en.contains("holds 14 visible objects"), "\(full.message.en)")
    }

    @Test func noTokenIsAnError() throws {
        let finding = try TokenRoomCheck().evaluate(context(token: "no such token"))
        #expect(finding.outcome == .error)
    }

    /// The verdict on what a token with a memory count reports (the ePass3003's own module does).
    @Test(arguments: [
        (PKCS11TokenRoom(freePublicMemory: 20_000, freePrivateMemory: 9_000, objectCount: 4), Outcome.pass),
        (PKCS11TokenRoom(freePublicMemory: 3_000, freePrivateMemory: 9_000, objectCount: 14), .fail),
        (PKCS11TokenRoom(freePublicMemory: 20_000, freePrivateMemory: 1_000, objectCount: 14), .fail),
        (PKCS11TokenRoom(freePublicMemory: 20_000, freePrivateMemory: 9_000, objectCount: 4, pinTriesLow: true), .fail),
        (PKCS11TokenRoom(freePublicMemory: nil, freePrivateMemory: 9_000, objectCount: 4), .pass),
        (PKCS11TokenRoom(freePublicMemory: nil, freePrivateMemory: nil, objectCount: 13), .fail),
    ])
    func roomVerdict(_ room: PKCS11TokenRoom, _ expected: Outcome) {
        let finding = TokenRoomCheck.judge(room, token: "ePass3003")
        #expect(finding.outcome == expected, "\(finding.message.en)")
        if expected == .fail { #expect(finding.remedy != nil) }
        if room.freePublicMemory == 3_000 { #expect(finding.message.zh.contains("ukey 存储空间已满")) }
    }
}
