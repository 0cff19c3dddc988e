import CertDoctorCore
import Foundation
import PKI
import SmartCard
import Testing
import TestSupport
@testable import Renewal
@testable import SSCCChecks
@testable import Doctor
@testable import SSCCProfile
@testable import TokenTarget

/// A hardware renewal's last part on a SoftHSM2 token: the old pair and certificate from the test CA on the
/// token, a new pair generated there, a CMP key update signed on the token, then the certificate verified,
/// written and renamed. pkcs11-tool and `token.certificate` look at the token afterwards.
@Suite(.serialized) struct TokenCertificateInstallerTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let token = "scratch-install"
    let tokens: SoftHSMTokens

    init() throws {
        tokens = try SoftHSMTokens.shared.get()
    }

    /// The token as a renewal finds it (old pair under the gateway number, new pair pending) and the certificate
    /// the test CA issued for the new key.
    struct Renewing {
        let session: PKCS11Session
        let authority: TestCertificateAuthority
        let old: X509Certificate
        let issued: X509Certificate
    }

    private func renewing(on token: String = Self.token) throws -> Renewing {
        let session = try ScratchToken(token).session
        let authority = try TestCertificateAuthority()
        try session.generateRSAKeyPair(bits: 2048, id: [0x01], label: Self.gateway)
        let oldKey = try TokenCertificateInstaller.tokenKey(session, id: [0x01])
        let old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", Self.gateway)], for: oldKey, validityDays: 10)
        let names = old.pkcs11NamesDER()
        try session.createCertificate(der: old.der, id: [0x01], label: Self.gateway, subject: names.subject, issuer: names.issuer,
                                      serialNumber: names.serialNumber)
        try session.generateRSAKeyPair(bits: 2048, id: [0x02], label: TokenLabels.pending(gateway: Self.gateway))
        let newKey = try TokenCertificateInstaller.tokenKey(session, id: [0x02])
        let result = try CMPClient.keyUpdate(testServer: TestCMPServer(authority: authority), caCertificate: authority.certificate,
                                             oldCertificate: old, oldKey: oldKey, newKey: newKey)
        guard case .issued(let issued, _) = result else { throw RenewalError.unusableAnswer(detail: "\(result)") }
        return Renewing(session: session, authority: authority, old: old, issued: issued)
    }

    private func installer(_ renewing: Renewing, onRecordChange: @escaping @Sendable (TokenCertificateInstaller.Step, TokenCertificateInstaller.Record) throws -> Void = { _, _ in })
        -> TokenCertificateInstaller {
        TokenCertificateInstaller(session: renewing.session, gateway: Self.gateway, issuerCertificates: [renewing.authority.certificate],
                                  onRecordChange: onRecordChange)
    }

    /// Certificate labels by CKA_ID, as the session sees them.
    private static func certificateLabels(_ session: PKCS11Session) throws -> [[UInt8]: String] {
        Dictionary(uniqueKeysWithValues: try session.objects().filter { $0.objectClass == .certificate }.map { ($0.id, $0.label) })
    }

    private func listObjects() throws -> String {
        try ExternalProcess.run("/usr/bin/pkcs11-tool", [
            "--module", TestEnvironment.softHSMModule, "--token-label", Self.token, "--login", "--pin", SoftHSMTokens.userPIN, "--list-objects",
        ], environment: ["SOFTHSM2_CONF": tokens.configuration.path])
    }

    @Test func installsInASafeOrderAndRevertsToTheOldNames() throws {
        let renewing = try renewing()
        defer { renewing.session.close() }
        let session = renewing.session
        let seen = SeenLabels()
        let record = try installer(renewing) { step, record in
            if record.begun == nil { seen.add(step, try Self.certificateLabels(session)) }
        }.install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        #expect(record.steps == [.certificateWritten, .oldSetAside, .newNamed])
        // After every step exactly one certificate carries the gateway number: the old one, then the new one.
        let setAside = TokenLabels.setAside(gateway: Self.gateway, serial: renewing.old.serialNumberHex)
        #expect(seen.all == [
            .init(step: .certificateWritten, labels: [[0x01]: Self.gateway, [0x02]: Self.gateway + ".pending"]),
            .init(step: .oldSetAside, labels: [[0x01]: setAside, [0x02]: Self.gateway + ".pending"]),
            .init(step: .newNamed, labels: [[0x01]: setAside, [0x02]: Self.gateway]),
        ])

        let listing = try listObjects()
        #expect(listing.contains("label:      \(setAside)"), "\(listing)")
        #expect(!listing.contains(".pending"), "\(listing)")
        // token.certificate now finds the new certificate with its key, and passes the old one over.
        var environment = Environment.targets(gateway: Self.gateway, tokenRequested: true, language: .en)
        environment.tokenOptions = TokenOptions(pkcs11Module: TestEnvironment.softHSMModule, tokenLabel: Self.token,
                                                tokenDatabase: TestEnvironment.tokenProfile)
        let doctor = try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: TestEnvironment.repositoryRoot), pluginDirectories: [])
        let finding = try TokenCertificateCheck().evaluate(CheckContext(environment: doctor.prepare(environment)))
        #expect(finding.outcome == .pass, "\(finding.message.en)")
        #expect(finding.evidence.contains { $0.name == "serial" && $0.value == renewing.issued.serialNumberHex })

        try TokenCertificateInstaller.revert(record, in: session)
        #expect(try Self.certificateLabels(session) == [[0x01]: Self.gateway])
        #expect(try session.objects().filter { $0.id == [0x02] }.map(\.label) == [Self.gateway + ".pending", Self.gateway + ".pending"])
    }

    /// Stopped after each step (as a killed process would be), never two certificates carry the gateway number:
    /// the old one until it is set aside, none in the moment between, the new one after; taking back the steps on
    /// record restores the names from before.
    @Test(arguments: [
        (TokenCertificateInstaller.Step.certificateWritten, [UInt8]?.some([0x01])), (.oldSetAside, nil), (.newNamed, [0x02]),
    ])
    func stoppedAfterAStepAtMostOneCertificateIsNamedSo(_ stop: TokenCertificateInstaller.Step, _ named: [UInt8]?) throws {
        let renewing = try renewing()
        defer { renewing.session.close() }
        let recorded = SeenRecord()
        #expect(throws: Stopped.self) {
            try installer(renewing) { step, record in
                recorded.set(record)
                if step == stop && record.begun == nil { throw Stopped() }
            }.install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        }
        let labels = try Self.certificateLabels(renewing.session)
        #expect(labels.filter { $0.value == Self.gateway }.map(\.key) == (named.map { [$0] } ?? []), "\(labels)")
        let record = try #require(recorded.value)
        try TokenCertificateInstaller.revert(record, in: renewing.session)
        #expect(try Self.certificateLabels(renewing.session) == [[0x01]: Self.gateway])
    }

    /// Killed after a change and before its record: the record on file is the one written before the change, with
    /// the step as begun, and taking it back restores the names from before and removes the written certificate.
    /// (Recorded only after each change, such a kill left the change with no record: a certificate under the
    /// pending pair that neither `undo` nor the next renewal would touch.)
    @Test(arguments: TokenCertificateInstaller.Step.allCases.filter { $0 != .oldRemoved })
    func killedBeforeItsRecordAStepIsStillTakenBack(_ stop: TokenCertificateInstaller.Step) throws {
        let renewing = try renewing()
        defer { renewing.session.close() }
        let onRecord = SeenRecord()
        #expect(throws: Stopped.self) {
            try installer(renewing) { step, record in
                if step == stop && record.begun == nil { throw Stopped() }
                onRecord.set(record)
            }.install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        }
        let record = try #require(onRecord.value)
        #expect(record.begun == stop && !record.steps.contains(stop), "the record on file was written before the step")
        try TokenCertificateInstaller.revert(record, in: renewing.session)
        #expect(try Self.certificateLabels(renewing.session) == [[0x01]: Self.gateway])
        #expect(try renewing.session.objects().filter { $0.id == [0x01] }.allSatisfy { $0.label == Self.gateway })
        #expect(try renewing.session.objects().filter { $0.id == [0x02] }.map(\.label) == [Self.gateway + ".pending", Self.gateway + ".pending"])
        // Taken back again (an undo killed midway and run once more): nothing left to do, nothing fails.
        try TokenCertificateInstaller.revert(record, in: renewing.session)
        #expect(try Self.certificateLabels(renewing.session) == [[0x01]: Self.gateway])
    }

    @Test func aCertificateForAnotherKeyChangesNothing() throws {
        let renewing = try renewing()
        defer { renewing.session.close() }
        let before = try renewing.session.objects()
        #expect(throws: RenewalError.issuedForAnotherKey) {
            try installer(renewing).install(renewing.old, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        }
        let stranger = try TestCertificateAuthority(commonName: "Another CA")
        #expect(throws: RenewalError.self) {
            try TokenCertificateInstaller(session: renewing.session, gateway: Self.gateway, issuerCertificates: [stranger.certificate])
                .install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        }
        #expect(throws: RenewalError.self) {
            try TokenCertificateInstaller(session: renewing.session, gateway: "F000999Z0001", issuerCertificates: [renewing.authority.certificate])
                .install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
        }
        #expect(try renewing.session.objects() == before)
    }

    @Test func removingTheOldPairIsFinal() throws {
        let renewing = try renewing()
        defer { renewing.session.close() }
        let record = try installer(renewing).install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01], removeOld: true)
        #expect(record.steps.last == .oldRemoved)
        #expect(try renewing.session.objects().allSatisfy { $0.id == [0x02] && $0.label == Self.gateway })
        #expect(throws: RenewalError.self) { try TokenCertificateInstaller.revert(record, in: renewing.session) }
    }
}

extension TokenCertificateInstallerTests {
    /// A token pulled out takes the session with it (CKR_SESSION_HANDLE_INVALID or CKR_DEVICE_REMOVED on every
    /// later call). SoftHSM keeps an open token in memory when its directory is moved away, so the session is
    /// closed under the installer instead, right after the certificate is written: the renaming fails with a
    /// clear error that says nothing could be taken back, and the old certificate is still the gateway's.
    @Test func losingTheTokenMidwayLeavesTheOldCertificateInPlace() throws {
        let renewing = try renewing(on: "scratch-removed")
        let session = renewing.session
        do {
            try installer(renewing) { step, record in
                if step == .certificateWritten && record.begun == nil { session.close() }
            }.install(renewing.issued, newKeyID: [0x02], replacing: renewing.old, oldID: [0x01])
            Issue.record("the installation went on without the token")
        } catch let error as RenewalError {
            #expect(error == .tokenChangeFailed(
                step: "old-set-aside", reason: PKCS11Error.call(function: "C_OpenSession", code: 0xB3).localizedMessage, reverted: false))
            #expect(error.ending == .cannotCreate)
            #expect(error.localizedMessage.en.contains("the step 'old-set-aside' on the token failed and the steps before it could not be taken back"))
        }
        let listing = try ExternalProcess.run("/usr/bin/pkcs11-tool", [
            "--module", TestEnvironment.softHSMModule, "--token-label", "scratch-removed", "--list-objects", "--type", "cert",
        ], environment: ["SOFTHSM2_CONF": tokens.configuration.path])
        #expect(!listing.contains(".old-"), "\(listing)")
        #expect(listing.contains("label:      \(Self.gateway)\n"), "\(listing)")
        #expect(listing.contains("label:      \(Self.gateway).pending"), "\(listing)")
    }
}

private struct Stopped: Error {}

private final class SeenLabels: @unchecked Sendable {
    struct Seen: Equatable {
        var step: TokenCertificateInstaller.Step
        var labels: [[UInt8]: String]
    }

    private let lock = NSLock()
    private var seen: [Seen] = []
    func add(_ step: TokenCertificateInstaller.Step, _ labels: [[UInt8]: String]) { lock.withLock { seen.append(Seen(step: step, labels: labels)) } }
    var all: [Seen] { lock.withLock { seen } }
}

private final class SeenRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var record: TokenCertificateInstaller.Record?
    func set(_ record: TokenCertificateInstaller.Record) { lock.withLock { self.record = record } }
    var value: TokenCertificateInstaller.Record? { lock.withLock { record } }
}
