import CertDoctorCore
import Foundation
import SmartCard
import Testing
@testable import Renewal
@testable import SSCCChecks

/// What `renew --token` takes from the gate and how a token's failure ends the command.
@Suite struct TokenRenewalTests {
    private func gate(_ finding: Finding) -> RenewalGate {
        RenewalGate(
            results: [CheckResult(description: TokenCertificateCheck.description, finding: finding, durationSeconds: 0)],
            fixes: [], blocking: [])
    }

    private var found: Finding {
        var finding = Finding.pass(Localized(verbatim: "found"), evidence: [
            Evidence("pkcs11Module", "/usr/lib/vendor/libes_3000gm.so", kind: .path), Evidence("pkcs11Token", "ePass3003"),
        ])
        finding.certificates = [CertificateObservation(
            subjectCommonName: "F000504Y0007", issuerCommonName: "CA", serialNumber: "01", notBefore: 0, notAfter: 1,
            filePath: "pkcs11:token=ePass3003")]
        return finding
    }

    /// The renewal changes the certificate `token.certificate` passed, on the token and through the module it named.
    @Test func theRenewalTakesTheTokenTheCertificateCheckFound() throws {
        #expect(GatedToken.checkID == TokenCertificateCheck.description.id)
        #expect(try GatedToken(gate(found)) == GatedToken(
            modulePath: "/usr/lib/vendor/libes_3000gm.so", tokenLabel: "ePass3003", gateway: "F000504Y0007"))
    }

    @Test func aCheckThatDidNotPassNamesNoToken() {
        var failed = found
        failed.outcome = .fail
        #expect(throws: RenewalError.self) { try GatedToken(gate(failed)) }
        #expect(throws: RenewalError.self) { try GatedToken(RenewalGate(results: [], fixes: [], blocking: [])) }
    }

    /// A refused PIN stops the renewal like a wrong password (1); a token gone or failing is a service away (69).
    @Test func aTokenErrorEndsWithADocumentedCode() {
        #expect(PKCS11Error.call(function: "C_Login", code: 0xA0).isAboutThePIN)
        #expect(PKCS11Error.pinRejected(token: "t").isAboutThePIN)
        #expect(!PKCS11Error.call(function: "C_GenerateKeyPair", code: 0x32).isAboutThePIN)
        #expect(RenewalError.tokenUnusable(reason: Localized(verbatim: "x"), pin: true).ending == .failure)
        #expect(RenewalError.tokenUnusable(reason: Localized(verbatim: "x"), pin: false).ending == .unavailable)
    }
}
