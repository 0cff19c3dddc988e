import CertDoctorCore
import Foundation
import PKI
import SmartCard
import Testing
import TestSupport
@testable import Renewal

/// A first certificate for a key pair made on a SoftHSM2 token, from the project's test CA in process:
/// pkcs11-tool then finds the certificate and the key under the gateway's name, with one CKA_ID.
@Suite(.serialized) struct TokenEnrolmentTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let reference = "R7654321"
    static let authorization = "A654321"
    let token: ScratchToken
    let authority: TestCertificateAuthority
    let server: TestCMPServer

    init() throws {
        token = try ScratchToken("scratch-keys")
        authority = try TestCertificateAuthority()
        server = try TestCMPServer(authority: authority)
        server.addEnvelope(reference: Self.reference, secret: Self.authorization)
    }

    private func enrolment() -> TokenEnrolment {
        let server = server
        return TokenEnrolment(session: token.session, gateway: Self.gateway, root: authority.certificate,
                              passwordMAC: CMPPasswordMAC()) { root, secret, commonName, newKey, passwordMAC throws(CMPError) in
            try CMPClient.initialization(testServer: server, root: root, sharedSecret: secret, commonName: commonName,
                                         newKey: newKey, passwordMAC: passwordMAC)
        }
    }

    private var secret: CMPSharedSecret {
        CMPSharedSecret(reference: Array(Self.reference.utf8), secret: Array(Self.authorization.utf8))
    }

    @Test func theCertificateAndItsKeyTakeTheGatewaysName() throws {
        defer { token.session.close() }
        let enrolled = try enrolment().enrol(secret: secret)
        #expect(enrolled.key.origin == .generated)
        #expect(enrolled.certificate.verifySignature(issuedBy: authority.certificate))
        let certificates = try token.session.module.certificates(slot: token.session.slot)
        let written = try #require(certificates.first { $0.label == Self.gateway })
        #expect(written.id == enrolled.key.id)
        #expect(written.der == enrolled.certificate.der)
        #expect(try token.session.privateKeyProtection(id: enrolled.key.id)?.isRenewalKey == true)
        let listed = try token.pkcs11Tool(["--list-objects"])
        let hexID = PKCS11Session.hexID(enrolled.key.id).lowercased()
        for kind in ["Certificate Object", "Private Key Object", "Public Key Object"] {
            let block = listed.components(separatedBy: kind).dropFirst().first ?? ""
            #expect(block.contains("label:      \(Self.gateway)\n"), "\(kind) not named \(Self.gateway)")
            #expect(block.lowercased().contains(hexID), "\(kind) without CKA_ID \(hexID)")
        }
    }

    @Test func aCertificateAlreadyNamedAsTheGatewayIsNeverOverwritten() throws {
        defer { token.session.close() }
        _ = try enrolment().enrol(secret: secret)
        let before = try token.session.objects().count
        server.addEnvelope(reference: Self.reference, secret: Self.authorization)
        #expect(throws: EnrolmentError.tokenHoldsCertificate(label: Self.gateway)) {
            try enrolment().enrol(secret: secret)
        }
        #expect(try token.session.objects().count == before)
    }
}
