import CertDoctorCore
import Foundation
@testable import SSCCChecks
@testable import Doctor
@testable import Renewal
@testable import SSCCProfile
@testable import CertificateTarget
@testable import WindowsTarget
@testable import TokenTarget
import TestSupport

/// The hosts the token checks' examples name (`token/<name>`), brought up for real: pcscd with vpcd readers
/// and emulated cards, a drivers directory, a sysfs tree (this machine has no USB token to plug in, so
/// that one tree is written by the test), and SoftHSM2 tokens standing in for the vendor's PKCS#11 module.
struct TokenHostScenario: Sendable {
    enum Service: Sendable {
        case running(readers: Bool)
        case stopped
        case hung
    }

    enum Drivers: Sendable {
        case none
        case vendorBundle
    }

    var service: Service = .running(readers: true)
    var cards: [String?] = []
    var module: String?
    var tokenLabel: String?
    var drivers: Drivers = .none
    var feitianPluggedIn = false

    static let ePass = TestEnvironment.ePass3003ATR
    static let softHSM = TestEnvironment.softHSMModule

    static let all: [String: TokenHostScenario] = [
        "one-token": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.gatewayLabel),
        "no-readers": .init(service: .running(readers: false)),
        "service-stopped": .init(service: .stopped),
        "service-hung": .init(service: .hung),
        "vendor-bundle": .init(cards: [ePass], drivers: .vendorBundle),
        "no-driver": .init(cards: [ePass]),
        "wrong-vendor": .init(cards: [ePass], module: TestEnvironment.openSCModule),
        "token-and-other-card": .init(cards: [TestEnvironment.otherCardATR, ePass], module: softHSM, tokenLabel: SoftHSMTokens.gatewayLabel),
        "no-token": .init(cards: []),
        "plugged-no-driver": .init(cards: [], feitianPluggedIn: true),
        "two-tokens": .init(cards: [ePass, ePass], module: softHSM, tokenLabel: SoftHSMTokens.gatewayLabel),
        "certificate-hash0": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.hashZeroLabel),
        "certificate-no-key": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.noKeyLabel),
        "certificate-expired": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.expiredLabel),
        "certificate-private-key": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.privateKeyLabel),
        "certificate-expiring": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.expiringLabel),
        "interrupted-renewal": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.interruptedLabel),
        "token-full": .init(cards: [ePass], module: softHSM, tokenLabel: SoftHSMTokens.fullLabel),
        "unrecognised-card": .init(cards: [TestEnvironment.otherCardATR], module: TestEnvironment.openSCModule),
    ]

    static func named(_ fixture: String) -> TokenHostScenario? {
        guard fixture.hasPrefix("token/") else { return nil }
        return all[String(fixture.dropFirst("token/".count))]
    }

    /// Brings the host up, runs `body` with an environment pointing at it, and takes it down again; `pin` is the
    /// user PIN as `--token-pin-file` would give it.
    func run<T>(gateway: String?, pin: String? = nil, _ body: (Environment) async throws -> T) async throws -> T {
        _ = try SoftHSMTokens.shared.get()
        let scratch = try ExternalProcess.temporaryDirectory("certdoctor-token-host")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var environment = Environment.targets(gateway: gateway, tokenRequested: true, language: .en)
        environment.tokenOptions = try options(scratch)
        environment.tokenOptions.pin = pin.map(Secret.init)
        switch service {
        case .stopped:
            return try await PCSCStack.withoutService { try await body(environment) }
        case .hung:
            environment.tokenOptions.pcscTimeout = 1
            return try await PCSCStack.withHungService { try await body(environment) }
        case .running(let readers):
            let stack = try await PCSCStack.start(withReaders: readers)
            defer { stack.stop() }
            for (slot, atr) in cards.enumerated() {
                if let atr { try await stack.insertCard(slot: slot, atr: atr) }
            }
            return try await body(environment)
        }
    }

    private func options(_ scratch: URL) throws -> TokenOptions {
        let drivers = scratch.appendingPathComponent("drivers")
        try FileManager.default.createDirectory(at: drivers, withIntermediateDirectories: true)
        if case .vendorBundle = self.drivers {
            let contents = drivers.appendingPathComponent("ifd-epass3003.bundle/Contents")
            try FileManager.default.createDirectory(at: contents, withIntermediateDirectories: true)
            try """
            <?xml version="1.0" encoding="UTF-8"?>
            <plist version="1.0"><dict>
            <key>CFBundleExecutable</key><string>libepass3003.so</string>
            <key>ifdVendorID</key><array><string>0x096E</string><string>0x096E</string></array>
            <key>ifdProductID</key><array><string>0x0702</string><string>0x0703</string></array>
            <key>ifdFriendlyName</key><array><string>FT ePass3003</string><string>FT ePass3003Auto</string></array>
            </dict></plist>
            """.write(to: contents.appendingPathComponent("Info.plist"), atomically: true, encoding: .utf8)
        }
        let sysfs = scratch.appendingPathComponent("sysfs")
        if feitianPluggedIn {
            let device = sysfs.appendingPathComponent("sys/bus/usb/devices/1-1")
            try FileManager.default.createDirectory(at: device, withIntermediateDirectories: true)
            try "096e\n".write(to: device.appendingPathComponent("idVendor"), atomically: true, encoding: .utf8)
            try "0703\n".write(to: device.appendingPathComponent("idProduct"), atomically: true, encoding: .utf8)
            try "ePass3003Auto\n".write(to: device.appendingPathComponent("product"), atomically: true, encoding: .utf8)
        }
        return TokenOptions(
            pkcs11Module: module, tokenLabel: tokenLabel, tokenDatabase: TestEnvironment.tokenProfile,
            driversDirectory: drivers.path, sysfsRoot: sysfs.path,
            firefoxPolicyFile: scratch.appendingPathComponent("policies.json"))
    }
}
