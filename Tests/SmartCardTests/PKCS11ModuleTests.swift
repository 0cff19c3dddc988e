import Foundation
import Testing
import TestSupport
@testable import SmartCard

/// Through SoftHSM2's real PKCS#11 module, with tokens made by softhsm2-util and pkcs11-tool.
@Suite(.serialized) struct PKCS11ModuleTests {
    let tokens: SoftHSMTokens

    init() throws {
        tokens = try SoftHSMTokens.shared.get()
    }

    @Test func describesTheModule() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let info = try module.info()
        #expect(info.manufacturer == "SoftHSM")
        #expect(info.cryptokiVersion == "2.40")
        #expect(info.libraryDescription == "Implementation of PKCS11")
    }

    @Test func findsTokensByLabel() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let labels = try module.slots().compactMap { $0.token?.label }
        for label in [SoftHSMTokens.gatewayLabel, SoftHSMTokens.hashZeroLabel, SoftHSMTokens.noKeyLabel] {
            #expect(labels.contains(label))
        }
        #expect(try module.slot(tokenLabel: "no such token") == nil)
    }

    @Test func readsTheGatewayCertificateAndItsKey() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let slot = try #require(try module.slot(tokenLabel: SoftHSMTokens.gatewayLabel))
        let certificates = try module.certificates(slot: slot.id)
        #expect(certificates.count == 1)
        let certificate = try #require(certificates.first)
        #expect(certificate.label == SoftHSMTokens.gatewayNumber)
        #expect(certificate.id == [0x01])
        #expect(Data(certificate.der) == (try Data(contentsOf: tokens.certificate)))

        // The private key hides until login; its public half does not.
        #expect(try module.privateKeys(slot: slot.id, id: certificate.id).isEmpty)
        #expect(try module.publicKeys(slot: slot.id, id: certificate.id).map(\.id) == [[0x01]])
        #expect(try module.privateKeys(slot: slot.id, id: certificate.id, pin: SoftHSMTokens.userPIN).map(\.label) == [SoftHSMTokens.gatewayNumber])
        #expect(try module.privateKeys(slot: slot.id, id: [0x02], pin: SoftHSMTokens.userPIN).isEmpty)
    }

    /// SoftHSM, like the ePass3003, says it needs a login before private objects show (CKF_LOGIN_REQUIRED), and
    /// a key imported without its public half is then invisible until the PIN is given.
    @Test func aPrivateOnlyKeyShowsOnlyAfterLogin() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let slot = try #require(try module.slot(tokenLabel: SoftHSMTokens.privateKeyLabel))
        #expect(slot.token?.loginRequired == true)
        #expect(slot.tokenError == nil)
        let certificate = try #require(try module.certificates(slot: slot.id).first)
        #expect(try module.privateKeys(slot: slot.id, id: certificate.id).isEmpty)
        #expect(try module.publicKeys(slot: slot.id, id: certificate.id).isEmpty)
        #expect(try module.privateKeys(slot: slot.id, id: certificate.id, pin: SoftHSMTokens.userPIN).map(\.id) == [[0x01]])
    }

    @Test func aHashZeroNameIsVisibleInTheLabel() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let slot = try #require(try module.slot(tokenLabel: SoftHSMTokens.hashZeroLabel))
        #expect(try module.certificates(slot: slot.id).map(\.label) == [SoftHSMTokens.gatewayNumber + "#0"])
    }

    @Test func aTokenWithoutKey() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let slot = try #require(try module.slot(tokenLabel: SoftHSMTokens.noKeyLabel))
        let certificate = try #require(try module.certificates(slot: slot.id).first)
        #expect(try module.publicKeys(slot: slot.id, id: certificate.id).isEmpty)
        #expect(try module.privateKeys(slot: slot.id, id: certificate.id, pin: SoftHSMTokens.userPIN).isEmpty)
    }

    @Test func aWrongPINIsRefusedWithoutShowingIt() throws {
        let module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let slot = try #require(try module.slot(tokenLabel: SoftHSMTokens.gatewayLabel))
        do {
            _ = try module.privateKeys(slot: slot.id, pin: "987654")
            Issue.record("a wrong PIN was accepted")
        } catch {
            #expect(error == .call(function: "C_Login", code: 0xA0))
            #expect(error.errorDescription?.contains("CKR_PIN_INCORRECT") == true)
            #expect(error.errorDescription?.contains("987654") == false)
            #expect(!error.chineseDescription.contains("987654"))
        }
        // A second attempt in the same run is not made: it would only count down the token's retries.
        do {
            _ = try module.privateKeys(slot: slot.id, pin: "987654")
            Issue.record("a refused PIN was tried again")
        } catch {
            #expect(error == .pinRejected(token: SoftHSMTokens.gatewayLabel))
        }
    }

    /// Two users of one module: the first to finish must not finalise it under the second.
    @Test func aSharedModuleOutlivesItsFirstUser() throws {
        var first: PKCS11Module? = try PKCS11Module(path: TestEnvironment.softHSMModule)
        let second = try PKCS11Module(path: TestEnvironment.softHSMModule)
        #expect(try first?.info().manufacturer == "SoftHSM")
        first = nil
        #expect(try second.slot(tokenLabel: SoftHSMTokens.gatewayLabel) != nil)
    }

    @Test func loadFailuresAreTold() throws {
        #expect {
            try PKCS11Module(path: "/nonexistent/libshuttle_p11v220.so")
        } throws: { error in
            guard case let .cannotLoad(path, reason) = error as? PKCS11Error else { return false }
            return path == "/nonexistent/libshuttle_p11v220.so" && reason.contains("No such file")
        }
        let notAModule = try #require(["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"].first {
            FileManager.default.fileExists(atPath: $0)
        })
        #expect(throws: PKCS11Error.notAModule(path: notAModule)) {
            try PKCS11Module(path: notAModule)
        }
    }
}
