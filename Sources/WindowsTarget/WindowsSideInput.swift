import CertDoctorCore
import Foundation

/// The Wine prefix a run examines and fixes in place (`--wine-prefix`).
enum WinePrefixKey: EnvironmentKey {
    static let defaultValue: URL? = nil
    static let pluginVariableNames = ["CERTDOCTOR_WINE_PREFIX"]
    static func pluginVariables(for value: URL?) -> [String: String] {
        value.map { ["CERTDOCTOR_WINE_PREFIX": $0.path] } ?? [:]
    }
}

/// Registry files exported from a customer's Windows machine (`--registry`).
enum RegistryFilesKey: EnvironmentKey {
    static let defaultValue: [URL] = []
    static let pluginVariableNames = ["CERTDOCTOR_REGISTRY_FILES"]
    static func pluginVariables(for value: [URL]) -> [String: String] {
        value.isEmpty ? [:] : ["CERTDOCTOR_REGISTRY_FILES": value.map(\.path).joined(separator: ":")]
    }
}

/// The hive exported registry files belong to when their names do not say (`--registry-hive`).
enum RegistryHiveKey: EnvironmentKey {
    static let defaultValue: String? = nil
}

extension Environment {
    public var winePrefix: URL? {
        get { self[WinePrefixKey.self] }
        set { self[WinePrefixKey.self] = newValue }
    }

    public var registryFiles: [URL] {
        get { self[RegistryFilesKey.self] }
        set { self[RegistryFilesKey.self] = newValue }
    }

    public var registryHive: String? {
        get { self[RegistryHiveKey.self] }
        set { self[RegistryHiveKey.self] = newValue }
    }
}

extension Facet {
    /// A Windows side: a Wine prefix or exported registry files.
    public static let windowsSide = Facet(
        id: "windows",
        missingReason: Localized(zh: "未指定 Windows 环境（--wine-prefix 或 --registry）", en: "no Windows side given (--wine-prefix or --registry)")
    ) { $0.winePrefix != nil || !$0.registryFiles.isEmpty }

    /// A Wine prefix specifically (checked and fixed in place).
    public static let winePrefix = Facet(
        id: "wine-prefix", missingReason: Localized(zh: "未指定 Wine 前缀（--wine-prefix）", en: "no Wine prefix given (--wine-prefix)")
    ) { $0.winePrefix != nil }
}
