import CertDoctorCore
import Foundation

/// The Linux browsers the user named (`--browser`); none means the installed ones when there is no Windows side.
enum BrowsersKey: EnvironmentKey {
    static let defaultValue: [String] = []
}

/// Where Linux browsers' managed-policy directories are looked for; `/` unless a test or a chroot says otherwise.
enum BrowserPolicyRootKey: EnvironmentKey {
    static let defaultValue: URL = URL(fileURLWithPath: "/")
}

extension Environment {
    public var browsers: [String] {
        get { self[BrowsersKey.self] }
        set { self[BrowsersKey.self] = newValue }
    }

    public var browserPolicyRoot: URL {
        get { self[BrowserPolicyRootKey.self] }
        set { self[BrowserPolicyRootKey.self] = newValue }
    }
}

/// A Linux browser's managed policies (reference §7.4).
public enum LinuxBrowser: String, CaseIterable, Sendable {
    case chromium, chrome, edge, firefox

    /// Directory of mandatory policy files (Chromium family: every `*.json` in it; Firefox: `policies.json`).
    public var policyDirectory: String {
        switch self {
        case .chromium: "etc/chromium/policies/managed"
        case .chrome: "etc/opt/chrome/policies/managed"
        case .edge: "etc/opt/edge/policies/managed"
        case .firefox: "etc/firefox/policies"
        }
    }

    public var executables: [String] {
        switch self {
        case .chromium: ["usr/bin/chromium", "usr/bin/chromium-browser"]
        case .chrome: ["usr/bin/google-chrome", "usr/bin/google-chrome-stable"]
        case .edge: ["usr/bin/microsoft-edge", "usr/bin/microsoft-edge-stable"]
        case .firefox: ["usr/bin/firefox", "usr/bin/firefox-esr"]
        }
    }

    public func isInstalled(root: URL) -> Bool {
        executables.contains { FileManager.default.isExecutableFile(atPath: root.appendingPathComponent($0).path) }
    }

    public static let fixFileName = "certdoctor-sscc.json"
}
