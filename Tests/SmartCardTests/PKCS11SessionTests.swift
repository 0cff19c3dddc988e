import Foundation
import Testing
import TestSupport
@testable import SmartCard

/// A renewal's session on SoftHSM2's real module: key generation, signing, writing and relabelling, each seen
/// from outside by pkcs11-tool and openssl.
@Suite(.serialized) struct PKCS11SessionTests {
    let tokens: SoftHSMTokens
    let module: PKCS11Module
    let slot: UInt

    init() throws {
        tokens = try SoftHSMTokens.shared.get()
        module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        slot = try #require(try module.slot(tokenLabel: "scratch-session")).id
    }

    @discardableResult
    private func pkcs11Tool(_ arguments: [String]) throws -> String {
        try ExternalProcess.run("/usr/bin/pkcs11-tool", [
            "--module", TestEnvironment.softHSMModule, "--token-label", "scratch-session", "--login", "--pin", SoftHSMTokens.userPIN,
        ] + arguments, environment: ["SOFTHSM2_CONF": tokens.configuration.path])
    }

    private func clean(_ session: PKCS11Session) throws {
        for object in try session.objects() { try session.destroyObjects(id: object.id) }
    }

    @Test func generatesANonExtractableKeyAndSignsWithIt() throws {
        let session = try PKCS11Session(module: module, slot: slot, pin: SoftHSMTokens.userPIN)
        defer { try? clean(session); session.close() }
        try clean(session)
        #expect(try session.supportsRSA(bits: 2048))
        #expect(try !session.supportsRSA(bits: 100_000))
        try session.generateRSAKeyPair(bits: 2048, id: [0xA1], label: "F000504Y0007.pending")

        let protection = try #require(try session.privateKeyProtection(id: [0xA1]))
        #expect(protection.isRenewalKey)
        #expect(try session.privateKeyProtection(id: [0xA2]) == nil)
        let publicKey = try #require(try session.rsaPublicKey(id: [0xA1]))
        #expect(publicKey.modulus.count == 256)
        #expect(publicKey.publicExponent == [0x01, 0x00, 0x01])

        // pkcs11-tool sees the pair under its label; openssl recovers what the token signed with the public key.
        let listing = try pkcs11Tool(["--list-objects"])
        #expect(listing.contains("label:      F000504Y0007.pending"))
        let directory = try ExternalProcess.temporaryDirectory("session-sign")
        defer { try? FileManager.default.removeItem(at: directory) }
        let publicKeyFile = directory.appendingPathComponent("pub.der")
        try pkcs11Tool(["--read-object", "--type", "pubkey", "--id", "a1", "--output-file", publicKeyFile.path])
        let digestInfo: [UInt8] = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
                                   0x05, 0x00, 0x04, 0x20] + [UInt8](repeating: 0x5A, count: 32)
        let signature = try session.sign(digestInfo: digestInfo, keyID: [0xA1])
        #expect(signature.count == 256)
        let signatureFile = directory.appendingPathComponent("sig")
        let recoveredFile = directory.appendingPathComponent("recovered")
        try Data(signature).write(to: signatureFile)
        try ExternalProcess.run("/usr/bin/openssl", [
            "pkeyutl", "-verifyrecover", "-pubin", "-inkey", publicKeyFile.path, "-keyform", "DER",
            "-in", signatureFile.path, "-out", recoveredFile.path,
        ])
        #expect(Array(try Data(contentsOf: recoveredFile)) == digestInfo)
        #expect(throws: PKCS11Error.noSuchKey(id: "a2")) { try session.sign(digestInfo: digestInfo, keyID: [0xA2]) }
    }

    @Test func writesACertificateAndRelabelsByID() throws {
        let session = try PKCS11Session(module: module, slot: slot, pin: SoftHSMTokens.userPIN)
        defer { try? clean(session); session.close() }
        try clean(session)
        try session.generateRSAKeyPair(bits: 2048, id: [0xB1], label: "F000504Y0007.pending")
        let der = Array(try Data(contentsOf: tokens.certificate))
        try session.createCertificate(der: der, id: [0xB1], label: "F000504Y0007.pending", subject: [0x30, 0x00],
                                      issuer: [0x30, 0x00], serialNumber: [0x02, 0x01, 0x01])
        #expect(try module.certificates(slot: slot).map(\.der) == [der])

        #expect(try session.relabel(id: [0xB1], to: "F000504Y0007") == 3)
        let labels = try session.objects().filter { $0.id == [0xB1] }.map(\.label)
        #expect(labels == ["F000504Y0007", "F000504Y0007", "F000504Y0007"])
        #expect(try !pkcs11Tool(["--list-objects"]).contains(".pending"))

        // SoftHSM keeps no memory count; the logged-in session makes the private key count too.
        let room = try module.room(slot: slot)
        #expect(room == PKCS11TokenRoom(freePublicMemory: nil, freePrivateMemory: nil, objectCount: 3, pinTriesLow: false))
        #expect(try session.destroyObjects(id: [0xB1], classes: [.certificate]) == 1)
        #expect(try session.objects().map(\.objectClass).sorted { "\($0)" < "\($1)" } == [.privateKey, .publicKey])
    }

    @Test func twoKeysWithOneIDAreNotChosenBetween() throws {
        let session = try PKCS11Session(module: module, slot: slot, pin: SoftHSMTokens.userPIN)
        defer { try? clean(session); session.close() }
        try clean(session)
        try session.generateRSAKeyPair(bits: 2048, id: [0xC1], label: "one")
        try session.generateRSAKeyPair(bits: 2048, id: [0xC1], label: "two")
        #expect(throws: PKCS11Error.ambiguousID(id: "c1")) { try session.sign(digestInfo: [1, 2, 3], keyID: [0xC1]) }
    }

    /// The session logs in through the module's PIN guard: a refused PIN is not tried again on that token, and
    /// after the refusal SoftHSM reports a low count (CKF_USER_PIN_COUNT_LOW), so no other caller tries either.
    /// On a token of its own, which it leaves unusable for the rest of the run.
    @Test func aRefusedPINIsNotTriedTwice() throws {
        let guarded = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let pinSlot = try #require(try guarded.slot(tokenLabel: "scratch-pin")).id
        #expect(throws: PKCS11Error.call(function: "C_Login", code: 0xA0)) {
            try PKCS11Session(module: guarded, slot: pinSlot, pin: "000000")
        }
        #expect(throws: PKCS11Error.pinRejected(token: "scratch-pin")) {
            try PKCS11Session(module: guarded, slot: pinSlot, pin: SoftHSMTokens.userPIN)
        }
        #expect(throws: PKCS11Error.pinRetriesLow(token: "scratch-pin")) {
            try PKCS11Session(module: try PKCS11Module(path: TestEnvironment.softHSMModule), slot: pinSlot, pin: SoftHSMTokens.userPIN)
        }
        #expect(try guarded.room(slot: pinSlot).pinTriesLow)
    }

    @Test func aClosedSessionRefusesWork() throws {
        let session = try PKCS11Session(module: module, slot: slot, pin: SoftHSMTokens.userPIN)
        session.close()
        #expect(throws: PKCS11Error.self) { try session.objects() }
    }
}
