import Foundation
import SmartCard
import Testing
import TestSupport
@testable import Renewal

/// Choosing the new key pair on a SoftHSM2 token: generated once, reused by the next run, never multiplied; a
/// pair made beforehand with pkcs11-tool is taken by its CKA_ID after its attributes are checked.
@Suite(.serialized) struct TokenRenewalKeyTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    let token: ScratchToken
    var session: PKCS11Session { token.session }

    init() throws {
        token = try ScratchToken("scratch-keys")
        try session.generateRSAKeyPair(bits: 2048, id: [0x01], label: Self.gateway)
    }

    private var pendingKeys: Int {
        get throws { try session.objects().filter { $0.objectClass == .privateKey && $0.label == Self.gateway + ".pending" }.count }
    }

    @Test func aPendingPairIsReusedNotMultiplied() throws {
        defer { session.close() }
        let first = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01])
        #expect(first.origin == .generated)
        #expect(first.id.count == 20)
        let second = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01])
        #expect(second == TokenRenewalKey(id: first.id, origin: .reused))
        #expect(try pendingKeys == 1)
    }

    @Test func aPendingPairWithACertificateIsNotReused() throws {
        defer { session.close() }
        let key = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01])
        let der = Array(try Data(contentsOf: token.tokens.certificate))
        try session.createCertificate(der: der, id: key.id, label: Self.gateway + ".pending", subject: [0x30, 0x00], issuer: [0x30, 0x00],
                                      serialNumber: [0x02, 0x01, 0x01])
        #expect(throws: RenewalError.self) { try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01]) }
        #expect(try pendingKeys == 1)
    }

    /// A generation killed between its two objects leaves a pending public key alone: it is removed and said so,
    /// and the run makes one pair, not a second pending one beside the half.
    @Test func aPendingPublicKeyWithoutItsPrivateKeyIsRemovedNotMultiplied() throws {
        defer { session.close() }
        try session.generateRSAKeyPair(bits: 2048, id: [0x0C], label: Self.gateway + ".pending")
        try session.destroyObjects(id: [0x0C], classes: [.privateKey])
        let key = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01])
        #expect(key.origin == .generated)
        #expect(key.discardedHalves == [[0x0C]])
        let objects = try session.objects()
        #expect(!objects.contains { $0.id == [0x0C] }, "\(objects)")
        #expect(Set(objects.filter { $0.label == Self.gateway + ".pending" }.map(\.id)) == [key.id])
        #expect(try pendingKeys == 1)
    }

    @Test func twoPendingPairsAreReportedNotChosenBetween() throws {
        defer { session.close() }
        try session.generateRSAKeyPair(bits: 2048, id: [0x0A], label: Self.gateway + ".pending")
        try session.generateRSAKeyPair(bits: 2048, id: [0x0B], label: Self.gateway + ".pending")
        do {
            _ = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01])
            Issue.record("two pending pairs were accepted")
        } catch let error as RenewalError {
            #expect(error.localizedMessage.en.contains("holds 2 key pairs named F000504Y0007.pending"), "\(error.localizedMessage.en)")
            #expect(error.ending == .failure)
        }
        #expect(try pendingKeys == 2)
    }

    /// `--token-new-key-id`: a pair pkcs11-tool generated (as the vendor's tool would) is taken as it is.
    @Test func aGivenPairIsCheckedAndTaken() throws {
        defer { session.close() }
        try token.pkcs11Tool(["--keypairgen", "--key-type", "rsa:2048", "--id", "33", "--label", "vendor-made"])
        #expect(try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01], given: [0x33])
            == TokenRenewalKey(id: [0x33], origin: .given))
        #expect(throws: RenewalError.newKeyIsOldKey) {
            try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01], given: [0x01])
        }
        #expect(throws: RenewalError.self) {
            try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01], given: [0x44])
        }
        #expect(try pendingKeys == 0)
    }

    @Test func aSizeTheTokenDoesNotOfferIsRefusedBeforeAnythingIsMade() throws {
        defer { session.close() }
        #expect(throws: RenewalError.self) {
            try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: [0x01], bits: 100_000)
        }
        #expect(try pendingKeys == 0)
    }
}
