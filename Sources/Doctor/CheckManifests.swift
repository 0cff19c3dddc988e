import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import XMLSupport

/// Loads declarative checks: every `*.xml` in `Checks/manifests/` and in plugin directories, validated against
/// `Checks/check-manifest.xsd` before it is read, so that a mistake in a manifest is an error naming its file
/// and line rather than a check that silently tests something else.
public enum CheckManifests {
    public static func schema(in dataDirectory: DataDirectory) -> URL {
        dataDirectory.checks.appendingPathComponent("check-manifest.xsd")
    }

    public static func directory(in dataDirectory: DataDirectory) -> URL {
        dataDirectory.checks.appendingPathComponent("manifests")
    }

    /// The shipped manifests and those in `extraDirectories`, files in name order, directories in the order given.
    public static func load(dataDirectory: DataDirectory, extraDirectories: [URL] = []) throws -> [RegistrySettingCheck] {
        try load(directories: [directory(in: dataDirectory)] + extraDirectories, schema: schema(in: dataDirectory))
    }

    public static func load(directories: [URL], schema: URL) throws -> [RegistrySettingCheck] {
        let files = directories.flatMap { directory -> [URL] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { $0.hasSuffix(".xml") }.sorted().map { directory.appendingPathComponent($0) }
        }
        guard !files.isEmpty else { return [] }
        let compiled = try compile(schema)
        return try files.flatMap { file in try load(file: file, schema: compiled).map(RegistrySettingCheck.init(spec:)) }
    }

    static func compile(_ schema: URL) throws -> XMLSchema {
        do {
            return try XMLSchema(contentsOfFile: schema.path)
        } catch let error as XMLError {
            throw ManifestError.xml(error)
        }
    }

    /// Validates one file and turns each `<check>` into a spec; the source and the examples' lines point into it.
    static func load(file: URL, schema: XMLSchema) throws -> [RegistrySettingSpec] {
        let bytes = try readBytes(file)
        let document: XMLDocument
        do {
            if let violation = try schema.validate(bytes: bytes, fileName: file.path).first {
                throw ManifestError.invalid(file: file.path, line: violation.line, reason: violation.message)
            }
            document = try XMLDocument(bytes: bytes, fileName: file.path)
        } catch let error as XMLError {
            throw ManifestError.xml(error)
        }
        return try document.root.children(named: "check").map { try spec(from: $0, file: file) }
    }

    static func spec(from element: XMLElement, file: URL) throws -> RegistrySettingSpec {
        func bilingual(_ name: String) -> Localized {
            let child = element.firstChild(named: name)
            return Localized(zh: child?.attribute("zh") ?? "", en: child?.attribute("en") ?? "")
        }
        func label(_ child: XMLElement) -> Localized {
            Localized(zh: child.attribute("zh") ?? "", en: child.attribute("en") ?? "")
        }
        // The schema has vetted every attribute read below; a number that still does not fit is named with its line.
        func number(_ child: XMLElement, _ name: String) throws -> UInt32 {
            guard let text = child.attribute(name), let value = UInt32(text) else {
                throw ManifestError.invalid(file: file.path, line: child.line, reason: "\(name) must be a 32-bit number")
            }
            return value
        }
        var requirements: [RegistrySettingSpec.Requirement] = []
        var examples: [CheckExample] = []
        for child in element.children {
            switch child.name {
            case "url-action":
                requirements.append(.init(
                    setting: .urlAction(zone: Int(try number(child, "zone")), action: child.attribute("action") ?? ""),
                    label: label(child), expected: try number(child, "expect")))
            case "value":
                requirements.append(.init(
                    setting: .value(
                        path: child.attribute("path") ?? "", name: child.attribute("name") ?? "",
                        policyPath: child.attribute("policy-path"), machine: child.attribute("hive") == "machine"),
                    label: label(child), expected: try number(child, "expect")))
            case "example":
                // A manifest's examples are given as exported files unless they say `target="prefix"`.
                let target: SSCCExampleTarget = child.attribute("target") == "prefix"
                    ? .winePrefix() : .exported(hive: child.attribute("hive"))
                examples.append(CheckExample(
                    child.attribute("fixture") ?? "", target,
                    expect: Outcome(rawValue: child.attribute("expect") ?? "") ?? .error, child.attribute("note") ?? "",
                    file: file.path, line: child.line))
            default:
                continue
            }
        }
        let description = CheckDescription(
            id: element.attribute("id") ?? "",
            title: bilingual("title"),
            summary: bilingual("summary"),
            requirements: element.children(named: "requirement").map(\.text),
            category: element.attribute("category") ?? "",
            severity: Severity(rawValue: element.attribute("severity") ?? "") ?? .required,
            facets: [.windowsSide],
            fix: bilingual("fix"),
            examples: examples,
            source: .manifest(path: file.path))
        let restart = ["true", "1"].contains(element.attribute("restart-browser") ?? "false")
        return RegistrySettingSpec(description: description, requirements: requirements, restartBrowser: restart)
    }
}

