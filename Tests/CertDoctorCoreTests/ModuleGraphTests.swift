import Foundation
import Testing

/// The module graph of DESIGN.md, proven from the sources: every `import` of a project module points down.
/// certdoctor → Doctor → (SSCCChecks, Renewal) → (targets, PKI, SmartCard, WindowsRegistry, SSCCProfile) →
/// CertDoctorCore; Reporting → CertDoctorCore. The C wrappers and XMLSupport sit below whoever needs them; test
/// support sits outside the graph, beside the tests.
@Suite struct ModuleGraphTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// What each Swift module may import of the project's own modules.
    static let allowed: [String: Set<String>] = {
        let core: Set = ["CertDoctorCore", "CSystemShims"]
        let formats: Set = ["XMLSupport", "CLibXML2", "CLibXSLT", "CXMLShims"]
        let pki: Set = ["PKI", "COpenSSL", "COpenSSLShims"]
        let smartCard: Set = ["SmartCard", "CPCSCLite", "CPKCS11"]
        let below = core.union(formats).union(pki).union(smartCard).union(["WindowsRegistry", "SSCCProfile"])
        let targets: Set = ["CertificateTarget", "WindowsTarget", "TokenTarget"]
        return [
            "CertDoctorCore": ["CSystemShims"],
            "XMLSupport": ["CLibXML2", "CLibXSLT", "CXMLShims"],
            "PKI": ["COpenSSL", "COpenSSLShims"],
            "SmartCard": ["CPCSCLite", "CPKCS11", "XMLSupport"],
            "WindowsRegistry": core,
            "SSCCProfile": core,
            "Reporting": core.union(formats),
            "CertificateTarget": below,
            "WindowsTarget": below,
            "TokenTarget": below,
            "SSCCChecks": below.union(targets),
            "Renewal": below.union(targets),
            "Doctor": below.union(targets).union(["SSCCChecks", "Renewal"]),
            "certdoctor": below.union(targets).union(["Doctor", "Renewal", "Reporting"]),
        ]
    }()

    /// What only tests may import: the test-support target (`Tests/TestSupport`: the test CA, the CMP test server,
    /// the Wine prefix harness) and the test frameworks. No production module is allowed any of them.
    static let testOnly: Set<String> = ["TestSupport", "Testing", "XCTest"]

    static let projectModules: Set<String> = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        return Set(names)
    }()

    /// The modules written in Swift: the C wrappers hold module maps and C files only.
    static func holdsSwift(_ module: String) -> Bool {
        let files = FileManager.default.enumerator(atPath: sources.appendingPathComponent(module).path)?.compactMap { $0 as? String } ?? []
        return files.contains { $0.hasSuffix(".swift") }
    }

    @Test func everyModuleIsPlacedInTheGraph() {
        let swiftModules = Self.projectModules.filter(Self.holdsSwift)
        #expect(swiftModules.count >= 14, "the scan found the Swift modules: \(swiftModules.sorted())")
        for module in swiftModules {
            #expect(Self.allowed[module] != nil, "Sources/\(module) is not in the module graph")
        }
    }

    @Test func importsPointOneWay() throws {
        var checked = 0
        for (module, allowed) in Self.allowed {
            let directory = Self.sources.appendingPathComponent(module)
            let files = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String }
                .filter { $0.hasSuffix(".swift") } ?? []
            #expect(!files.isEmpty, "Sources/\(module) has no Swift file")
            for file in files {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                          words[..<index].allSatisfy({ $0.hasPrefix("@") })
                    else { continue }
                    let imported = String(words[index + 1])
                    guard Self.projectModules.contains(imported) || Self.testOnly.contains(imported) else { continue }
                    checked += 1
                    #expect(allowed.contains(imported), "Sources/\(module)/\(file) imports \(imported), which is not below \(module)")
                }
            }
        }
        #expect(checked > 50, "the scan found the project's imports")
    }
}
