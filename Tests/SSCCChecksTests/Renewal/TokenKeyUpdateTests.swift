import CertDoctorCore
import Foundation
import PKI
import SmartCard
import Testing
import TestSupport
@testable import Renewal

/// The hardware renewal by CMP key update as one call, against the project's test CA over HTTP and in process:
/// the old pair and certificate on a SoftHSM2 token, the new pair made there, and the answer installed.
@Suite(.serialized) struct TokenKeyUpdateTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    let session: PKCS11Session
    let authority: TestCertificateAuthority
    let old: X509Certificate

    init() throws {
        session = try ScratchToken("scratch-update").session
        authority = try TestCertificateAuthority()
        try session.generateRSAKeyPair(bits: 2048, id: [0x01], label: Self.gateway)
        old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", Self.gateway)],
                                  for: TokenCertificateInstaller.tokenKey(session, id: [0x01]), validityDays: 10)
        let names = old.pkcs11NamesDER()
        try session.createCertificate(der: old.der, id: [0x01], label: Self.gateway, subject: names.subject, issuer: names.issuer,
                                      serialNumber: names.serialNumber)
    }

    private func update() -> TokenKeyUpdate {
        TokenKeyUpdate(session: session, gateway: Self.gateway, caCertificate: authority.certificate)
    }

    private func inProcess(_ server: TestCMPServer) -> TokenKeyUpdate.Exchange {
        { caCertificate, old, oldKey, newKey throws(CMPError) in
            try CMPClient.keyUpdate(testServer: server, caCertificate: caCertificate, oldCertificate: old, oldKey: oldKey, newKey: newKey)
        }
    }

    @Test func renewsOverHTTPWithKeysThatStayOnTheToken() throws {
        defer { session.close() }
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        defer { listener.stop() }
        guard case .installed(let record, let key) = try update().run(TokenKeyUpdate.http(server: listener.url, timeout: 10)) else {
            Issue.record("not installed")
            return
        }
        #expect(key.origin == .generated)
        #expect(record.oldSerial == old.serialNumberHex)
        let certificates = try session.module.certificates(slot: session.slot)
        let current = try #require(certificates.first { $0.label == Self.gateway })
        #expect(current.id == key.id)
        let issued = try X509Certificate(derEncoded: current.der)
        #expect(issued.verifySignature(issuedBy: authority.certificate))
        #expect(issued.subject == old.subject)
        #expect(certificates.contains { $0.label == "\(Self.gateway).old-\(old.serialNumberHex)" && $0.id == [0x01] })
        // The private keys never left: both are sensitive and not extractable.
        #expect(try session.privateKeyProtection(id: key.id)?.isRenewalKey == true)
    }

    /// A rejection leaves the old certificate as it was and the new pair pending; the next run reuses that pair.
    @Test func aRejectedRunLeavesAPendingPairTheNextRunReuses() throws {
        defer { session.close() }
        let rejecting = try TestCMPServer(authority: authority, behaviour: .reject(.certRevoked, text: "revoked"))
        guard case .notIssued(let outcome, let firstKey) = try update().run(inProcess(rejecting)) else {
            Issue.record("a rejected request was installed")
            return
        }
        #expect(outcome.name == "rejected")
        #expect(outcome.ending == .failure)
        #expect(try session.module.certificates(slot: session.slot).map(\.label) == [Self.gateway])

        guard case .installed(_, let secondKey) = try update().run(inProcess(try TestCMPServer(authority: authority))) else {
            Issue.record("not installed")
            return
        }
        #expect(secondKey == TokenRenewalKey(id: firstKey.id, origin: .reused))
        #expect(try session.objects().filter { $0.objectClass == .privateKey }.count == 2)
    }

    @Test func anUnreachableCAIsAnOutcomeNotAnError() throws {
        defer { session.close() }
        let result = try update().run(TokenKeyUpdate.http(server: URL(string: "http://127.0.0.1:9/pkix/")!, timeout: 2))
        guard case .notIssued(let outcome, _) = result else {
            Issue.record("installed without a CA")
            return
        }
        #expect(outcome.name == "unreachable")
    }
}
