import Foundation
import Testing
import TestSupport
@testable import SmartCard

/// Against a real pcscd with vsmartcard's vpcd readers and emulated cards. One pcscd runs per
/// machine, so these run one at a time (and hold a lock against other suites doing the same).
@Suite(.serialized, .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct PCSCContextTests {
    let database: TokenDatabase

    init() throws {
        database = try TokenDatabase.load(contentsOf: TestEnvironment.tokenProfile)
    }

    @Test func noServiceIsTold() async throws {
        try await PCSCStack.withoutService {
            await #expect(throws: PCSCError.noService) {
                try await ReaderInventory.read(timeout: .seconds(5))
            }
        }
    }

    @Test func aServiceWithoutReaders() async throws {
        let stack = try await PCSCStack.start(withReaders: false)
        defer { stack.stop() }
        let context = try await PCSCContext.establish()
        await #expect(throws: PCSCError.noReaders) {
            try await context.readerNames()
        }
        #expect(try await ReaderInventory.read(context: context).readers.isEmpty)
    }

    @Test func noTokenInEitherReader() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        let readers = try await ReaderInventory.read()
        #expect(readers.readers.map(\.name) == ["Virtual PCD 00 00", "Virtual PCD 00 01"])
        let tokens = TokenInventory(readers: readers, database: database)
        #expect(tokens.tokens.isEmpty)
        #expect(tokens.emptyReaders.count == 2)
    }

    @Test func oneToken() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let context = try await PCSCContext.establish()
        let tokens = TokenInventory(readers: try await ReaderInventory.read(context: context), database: database)
        #expect(tokens.tokens.map(\.readerName) == ["Virtual PCD 00 00"])
        #expect(tokens.tokens.first?.atr.hex == TestEnvironment.ePass3003ATR)
        #expect(tokens.tokens.first?.model.id == "feitian.epass3003")
        #expect(tokens.otherCards.isEmpty)

        // A wait in which nothing changes hands back the same view, ATR included.
        let states = try await context.readerStates()
        #expect(try await context.waitForChange(from: states, wait: .milliseconds(500)) == states)

        let status = try await context.cardStatus(reader: "Virtual PCD 00 00")
        #expect(status.atr.hex == TestEnvironment.ePass3003ATR)
        #expect(status.activeProtocol == "T=1")
    }

    @Test func twoTokensNameBothReaders() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        try await stack.insertCard(slot: 1, atr: TestEnvironment.ePass3003ATR)
        let tokens = TokenInventory(readers: try await ReaderInventory.read(), database: database)
        #expect(tokens.tokens(of: "feitian.epass3003").map(\.readerName) == ["Virtual PCD 00 00", "Virtual PCD 00 01"])
    }

    @Test func anotherCardIsListedAndNotCounted() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.otherCardATR)
        try await stack.insertCard(slot: 1, atr: TestEnvironment.ePass3003ATR)
        let tokens = TokenInventory(readers: try await ReaderInventory.read(), database: database)
        #expect(tokens.tokens.map(\.readerName) == ["Virtual PCD 00 01"])
        #expect(tokens.otherCards.map(\.name) == ["Virtual PCD 00 00"])
        #expect(tokens.otherCards.first?.atr?.hex == TestEnvironment.otherCardATR)
    }

    /// The wait returns because the card went away, not because its time ran out: after a
    /// 30 s wait with no change the token would still show as present.
    @Test func aTokenRemovedWhileWaiting() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let context = try await PCSCContext.establish()
        let before = try await context.readerStates()
        #expect(before.first?.cardPresent == true)

        let waiting = Task { try await context.waitForChange(from: before, wait: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(300))
        stack.removeCard(slot: 0)
        let after = try await waiting.value
        #expect(after.first?.cardPresent == false)
        #expect(TokenInventory(readers: ReaderInventory(readers: after), database: database).tokens.isEmpty)
    }

    @Test func aHungServiceIsATimeoutNotAHang() async throws {
        try await PCSCStack.withHungService {
            await #expect(throws: PCSCError.timeout(operation: "SCardEstablishContext", seconds: 1)) {
                try await ReaderInventory.read(timeout: .seconds(1))
            }
        }
    }

    /// The whole chain: a virtual card with the ePass3003 ATR answering as a PIV card, pcscd,
    /// and OpenSC's PKCS#11 module reading the certificate back.
    @Test func openSCReadsTheCertificateOnTheVirtualCard() async throws {
        let tokens = try SoftHSMTokens.shared.get()
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR, pivCertificate: tokens.certificate)
        let module = try PKCS11Module(path: TestEnvironment.openSCModule)
        #expect(try module.info().manufacturer.contains("OpenSC"))
        let slot = try #require(try module.slots().first { $0.description.contains("Virtual PCD 00 00") })
        let certificates = try module.certificates(slot: slot.id)
        #expect(certificates.map { Data($0.der) }.contains(try Data(contentsOf: tokens.certificate)))
        #expect(slot.token?.label == SoftHSMTokens.gatewayNumber)
    }

    /// A card OpenSC has no driver for (an ATR it does not know, answering no applet): the slot is kept, carrying
    /// CKR_TOKEN_NOT_RECOGNIZED, instead of looking like an empty reader. OpenSC lists such a slot only among all
    /// slots, not among those with a token.
    @Test func aCardTheModuleDoesNotKnowIsKeptAsUnrecognised() async throws {
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.otherCardATR)
        let module = try PKCS11Module(path: TestEnvironment.openSCModule)
        let slot = try #require(try module.slots(tokenPresent: false).first { $0.description.contains("Virtual PCD 00 00") })
        #expect(slot.token == nil)
        #expect(slot.tokenNotRecognized, "\(String(describing: slot.tokenError))")
    }

    @Test func theErrorsSpeakBothLanguages() {
        for error in [PCSCError.noService, .noReaders, .timeout(operation: "SCardListReaders", seconds: 2), .other(code: 0x8010_0069, name: "SCARD_W_REMOVED_CARD")] {
            #expect(error.errorDescription?.isEmpty == false)
            #expect(!error.chineseDescription.isEmpty)
        }
        #expect(PCSCError.other(code: 0x8010_0069, name: "SCARD_W_REMOVED_CARD").errorDescription?.contains("SCARD_W_REMOVED_CARD") == true)
    }
}
