import Foundation
import TestSupport
import SmartCard

/// One of the harness's empty SoftHSM2 tokens (`SoftHSMTokens.scratchLabels`), emptied and logged in through a
/// renewal's session, for a test that writes to it; pkcs11-tool looks at it from outside.
struct ScratchToken {
    let label: String
    let tokens: SoftHSMTokens
    let module: PKCS11Module
    let session: PKCS11Session

    init(_ label: String) throws {
        self.label = label
        tokens = try SoftHSMTokens.shared.get()
        module = try PKCS11Module(path: TestEnvironment.softHSMModule)
        guard let slot = try module.slot(tokenLabel: label) else {
            throw ExternalProcess.Failure(command: "find token", status: -1, output: "no SoftHSM token labelled \(label)")
        }
        session = try PKCS11Session(module: module, slot: slot.id, pin: SoftHSMTokens.userPIN)
        for object in try session.objects() { try session.destroyObjects(id: object.id) }
    }

    /// pkcs11-tool on this token, logged in.
    @discardableResult
    func pkcs11Tool(_ arguments: [String]) throws -> String {
        try ExternalProcess.run("/usr/bin/pkcs11-tool", [
            "--module", TestEnvironment.softHSMModule, "--token-label", label, "--login", "--pin", SoftHSMTokens.userPIN,
        ] + arguments, environment: ["SOFTHSM2_CONF": tokens.configuration.path])
    }
}
