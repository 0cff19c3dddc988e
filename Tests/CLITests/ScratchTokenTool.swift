import Foundation
import TestSupport

/// One of the harness's scratch SoftHSM tokens as pkcs11-tool sees it from outside: emptied for each test, listed
/// and written with the user PIN.
struct ScratchTokenTool {
    let label: String
    let configuration: URL

    /// pkcs11-tool's object classes as its listing names them and as `--type` takes them.
    static let toolType = ["Certificate": "cert", "Private": "privkey", "Public": "pubkey"]

    @discardableResult
    func pkcs11Tool(_ arguments: [String]) throws -> String {
        try ExternalProcess.run("/usr/bin/pkcs11-tool", [
            "--module", TestEnvironment.softHSMModule, "--token-label", label, "--login", "--pin", SoftHSMTokens.userPIN,
        ] + arguments, environment: ["SOFTHSM2_CONF": configuration.path])
    }

    /// The listing, one entry per object as (class, label, ID).
    func objects() throws -> [(kind: String, label: String, id: String)] {
        var found: [(String, String, String)] = []
        var kind = "", label = ""
        for line in try pkcs11Tool(["--list-objects"]).split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.contains("Object;") { kind = String(line.prefix { $0 != " " }) }
            if line.hasPrefix("label:") { label = line.dropFirst("label:".count).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("ID:") { found.append((kind, label, line.dropFirst("ID:".count).trimmingCharacters(in: .whitespaces))) }
        }
        return found
    }

    /// Deletes what an earlier test left; the caller expects the result to be empty.
    func empty() throws {
        for _ in 0..<8 {
            let left = try objects()
            guard !left.isEmpty else { break }
            for object in left { _ = try? pkcs11Tool(["--delete-object", "--type", Self.toolType[object.kind] ?? "data", "--id", object.id]) }
        }
    }
}
