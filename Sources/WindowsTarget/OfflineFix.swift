import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// Where the fix files for a customer's exported registry go. The CLI sets it to the report directory;
/// without it they go next to the first `--registry` file.
enum OfflineFixDirectoryKey: EnvironmentKey {
    static let defaultValue: URL? = nil
}

extension Environment {
    public var offlineFixDirectory: URL? {
        get { self[OfflineFixDirectoryKey.self] }
        set { self[OfflineFixDirectoryKey.self] = newValue }
    }
}

/// For an exported registry the fix is a file the customer applies: a `.reg` with exactly the needed user
/// changes, and, for settings a policy decides, a `Registry.pol` to merge into their Group Policy.
public enum OfflineFix {
    public typealias UserValue = (path: String, value: RegistryValue)
    /// A policy value, and whether it belongs to the machine (`HKLM`) policy.
    public typealias PolicyValue = (path: String, value: RegistryValue, machine: Bool)

    public static func directory(_ environment: Environment) -> URL {
        environment.offlineFixDirectory
            ?? environment.registryFiles.first?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    public static func regFile(checkID: String, in directory: URL) -> URL {
        directory.appendingPathComponent("certdoctor-fix-\(checkID).reg")
    }

    /// `certdoctor-fix-<id>/Machine/Registry.pol`: the layout of a GPO folder, so that the file says by its
    /// path whose policy it is (and `check --registry` reads it back the same way).
    public static func policyFile(checkID: String, machine: Bool, in directory: URL) -> URL {
        directory.appendingPathComponent("certdoctor-fix-\(checkID)")
            .appendingPathComponent(machine ? "Machine" : "User").appendingPathComponent("Registry.pol")
    }

    public static func plan(
        checkID: String, context: CheckContext, side: WindowsSide, summary: Localized,
        userValues: [UserValue], policyValues: [PolicyValue] = [], machineValues: [UserValue] = []
    ) throws -> FixPlan? {
        guard !userValues.isEmpty || !policyValues.isEmpty || !machineValues.isEmpty else { return nil }
        let directory = directory(context.environment)
        var steps: [FixStep] = []
        var sections: [RegFileSection] = []
        for (root, values) in [(RegistryRoot.currentUser, userValues), (.localMachine, machineValues)] {
            for (path, value) in values {
                let keyPath = RegistryPath(root: root, components: RegistryKey.components(of: path))
                if let index = sections.firstIndex(where: { $0.path == keyPath }) {
                    sections[index].operations.append(.set(value))
                } else {
                    sections.append(RegFileSection(path: keyPath, operations: [.set(value)]))
                }
            }
        }
        if !sections.isEmpty {
            let file = regFile(checkID: checkID, in: directory)
            let bytes = try RegFileCodec.encode(RegFile(format: .version5, sections: sections))
            let lines = try sections.flatMap { section in
                try section.operations.compactMap { operation -> String? in
                    guard case .set(let value) = operation else { return nil }
                    return "[\(section.path.root.abbreviation)\\\(section.path.relativePath)] " + (try RegFileCodec.line(for: value))
                }
            }
            steps.append(FixStep(
                description: Localized(
                    zh: "写入 \(file.path)（由客户在 Windows 上双击导入或运行 reg import）：" + lines.joined(separator: "；"),
                    en: "write \(file.path) for the customer to import (double-click or reg import): " + lines.joined(separator: "; ")),
                touches: [file], apply: { writer in try writer.replace(file, with: bytes) }))
        }
        for machine in [true, false] {
            let records = policyValues.filter { $0.machine == machine }.map { PolicyRecord(key: $0.path, value: $0.value) }
            guard !records.isEmpty else { continue }
            let file = policyFile(checkID: checkID, machine: machine, in: directory)
            let bytes = PolicyFileCodec.encode(PolicyFile(records: records))
            let text = records.map { "\($0.key) \"\($0.valueName)\"" }.joined(separator: "; ")
            steps.append(FixStep(
                description: Localized(
                    zh: "写入组策略文件 \(file.path)（\(machine ? "计算机" : "用户")策略，需由管理员合并到组策略）：\(text)",
                    en: "write the Group Policy file \(file.path) (\(machine ? "machine" : "user") policy, for an administrator to merge into Group Policy): \(text)"),
                touches: [file], apply: { writer in try writer.replace(file, with: bytes) }))
        }
        return FixPlan(
            checkID: checkID, summary: summary, steps: steps,
            afterword: BrowserRestart.afterword + Localized(
                zh: " 修复文件需在客户的 Windows 上导入后才生效。", en: " The fix files take effect once imported on the customer's Windows."))
    }
}

