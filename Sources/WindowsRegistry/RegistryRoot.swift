import Foundation

/// The predefined root keys, with the names `.reg` files and people use for them.
public enum RegistryRoot: String, Sendable, CaseIterable {
    case localMachine = "HKEY_LOCAL_MACHINE"
    case currentUser = "HKEY_CURRENT_USER"
    case classesRoot = "HKEY_CLASSES_ROOT"
    case users = "HKEY_USERS"
    case currentConfig = "HKEY_CURRENT_CONFIG"

    public var abbreviation: String {
        switch self {
        case .localMachine: return "HKLM"
        case .currentUser: return "HKCU"
        case .classesRoot: return "HKCR"
        case .users: return "HKU"
        case .currentConfig: return "HKCC"
        }
    }

    /// Accepts the long and the short names, in any case.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let root = RegistryRoot.allCases.first(where: { $0.rawValue == upper || $0.abbreviation == upper }) else { return nil }
        self = root
    }
}

/// A full registry path: a root and the components below it.
public struct RegistryPath: Hashable, Sendable, CustomStringConvertible {
    public var root: RegistryRoot
    public var components: [String]

    public init(root: RegistryRoot, components: [String]) {
        self.root = root
        self.components = components
    }

    /// Parses `HKCU\Software\…` or `HKEY_CURRENT_USER\Software\…`.
    public init(parsing text: String) throws {
        let parts = RegistryKey.components(of: text)
        guard let first = parts.first, let root = RegistryRoot(name: first) else { throw RegistryError.invalidPath(text) }
        self.init(root: root, components: Array(parts.dropFirst()))
    }

    public var description: String { ([root.rawValue] + components).joined(separator: "\\") }
    public var relativePath: String { components.joined(separator: "\\") }

    public func appending(_ relative: String) -> RegistryPath {
        RegistryPath(root: root, components: components + RegistryKey.components(of: relative))
    }
}
