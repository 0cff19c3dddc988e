import Foundation

/// Which registry view a reader gets. A 32-bit process in a 64-bit Windows or win64 Wine prefix
/// (32-bit IE and the SSCC ActiveX controls) is redirected into `Wow6432Node`.
public enum RegistryBitness: String, Sendable, CaseIterable {
    case native64
    case wow32
}

/// A whole registry as one tree per root: HKLM, HKU (with the current user's SID), and the
/// derived roots HKCU (= HKU\<sid>) and HKCR (= HKLM\Software\Classes, as in Wine).
public struct RegistrySnapshot: Sendable, Equatable {
    public var localMachine: RegistryKey
    public var users: RegistryKey
    /// The SID under HKU that HKCU refers to (Wine: S-1-5-21-0-0-0-1000).
    public var currentUserSID: String

    public static let wineUserSID = "S-1-5-21-0-0-0-1000"

    public init(localMachine: RegistryKey = RegistryKey(name: ""), users: RegistryKey = RegistryKey(name: ""),
                currentUserSID: String = RegistrySnapshot.wineUserSID) {
        self.localMachine = localMachine
        self.users = users
        self.currentUserSID = currentUserSID
    }

    /// The physical location of a root: the tree it lives in and the components leading there.
    private func physical(_ path: RegistryPath) -> (isMachine: Bool, components: [String]) {
        switch path.root {
        case .localMachine: return (true, path.components)
        case .classesRoot: return (true, ["Software", "Classes"] + path.components)
        case .currentConfig: return (true, ["System", "CurrentControlSet", "Hardware Profiles", "Current"] + path.components)
        case .users: return (false, path.components)
        case .currentUser: return (false, [currentUserSID] + path.components)
        }
    }

    /// The key a process of the given bitness opens at `path`, or nil.
    public func key(at path: RegistryPath, bitness: RegistryBitness = .native64) -> RegistryKey? {
        guard let resolved = resolve(path, bitness: bitness) else { return nil }
        let tree = resolved.isMachine ? localMachine : users
        return tree.key(atComponents: resolved.components)
    }

    /// The physical location (HKLM or HKU tree and components) that `path` resolves to for
    /// `bitness`, or nil if absent. Mirrors Wine's server/registry.c: symbolic link keys (`#link`,
    /// `SymbolicLinkValue`) are followed; while walking, for 32-bit callers a key that has a
    /// `Wow6432Node` child is replaced by that child (no fallback), except
    /// `Software\Classes\Wow6432Node`, which is shared: a name missing there is taken from
    /// `Software\Classes`.
    public func resolve(_ path: RegistryPath, bitness: RegistryBitness) -> (isMachine: Bool, components: [String])? {
        let (isMachine, components) = physical(path)
        return walk(isMachine: isMachine, components: components[...], bitness: bitness, depth: 0)
    }

    /// Walks `components`; the first `literal` of them are taken as written (a link target names
    /// its physical path, `Wow6432Node` included), the rest follow the view's redirection.
    private func walk(isMachine: Bool, components: ArraySlice<String>, bitness: RegistryBitness, depth: Int, literal: Int = 0)
        -> (isMachine: Bool, components: [String])? {
        guard depth < 16 else { return nil }
        let tree = isMachine ? localMachine : users
        var current = tree
        var walked: [String] = []
        var sharedFallback: (key: RegistryKey, path: [String])? = nil
        var remaining = components
        var position = 0
        while let component = remaining.first {
            remaining = remaining.dropFirst()
            position += 1
            if bitness == .wow32, position > literal, !RegistryName.equal(component, "Wow6432Node"),
               let wow = current.subkey(named: "Wow6432Node") {
                current = wow
                walked.append(wow.name)
                if wow.isSymbolicLink, let target = Self.linkTarget(of: wow) {
                    return walk(isMachine: target.isMachine, components: (target.components + [component] + remaining)[...],
                                bitness: bitness, depth: depth + 1, literal: target.components.count)
                }
                if isMachine, walked.count == 3, RegistryName.equal(walked[0], "Software"), RegistryName.equal(walked[1], "Classes"),
                   let classes = tree.key(atComponents: walked.prefix(2)) {
                    sharedFallback = (classes, Array(walked.prefix(2)))
                }
            }
            if let found = current.subkey(named: component) {
                current = found
                walked.append(found.name)
            } else if let fallback = sharedFallback, let found = fallback.key.subkey(named: component) {
                current = found
                walked = fallback.path + [found.name]
            } else {
                return nil
            }
            sharedFallback = nil
            // Software\Classes\Wow6432Node is shared (KEY_WOWSHARE): names missing there come from Software\Classes.
            if isMachine, walked.count == 3, RegistryName.equal(walked[0], "Software"), RegistryName.equal(walked[1], "Classes"),
               RegistryName.equal(walked[2], "Wow6432Node"), let classes = tree.key(atComponents: walked.prefix(2)) {
                sharedFallback = (classes, Array(walked.prefix(2)))
            }
            if current.isSymbolicLink, let target = Self.linkTarget(of: current) {
                return walk(isMachine: target.isMachine, components: (target.components + remaining)[...],
                            bitness: bitness, depth: depth + 1, literal: target.components.count)
            }
        }
        return (isMachine, walked)
    }

    /// Target of a link key: `\REGISTRY\Machine\…` or `\REGISTRY\User\…`.
    public static func linkTarget(of key: RegistryKey) -> (isMachine: Bool, components: [String])? {
        guard let value = key.value(named: "SymbolicLinkValue"), value.data.count % 2 == 0 else { return nil }
        let text = String(decoding: RegistryValue.utf16Units(value.data).filter { $0 != 0 }, as: UTF16.self)
        let parts = RegistryKey.components(of: text)
        guard parts.count >= 2, RegistryName.equal(parts[0], "REGISTRY") else { return nil }
        if RegistryName.equal(parts[1], "Machine") { return (true, Array(parts.dropFirst(2))) }
        if RegistryName.equal(parts[1], "User") { return (false, Array(parts.dropFirst(2))) }
        return nil
    }

    /// Runs `body` on the key at `path` (native view), creating it if needed.
    @discardableResult
    public mutating func withKey<R>(creating path: RegistryPath, at time: UInt64? = nil, _ body: (inout RegistryKey) throws -> R) rethrows -> R {
        let (isMachine, components) = physical(path)
        if isMachine { return try localMachine.withKey(creating: components[...], at: time, body) }
        return try users.withKey(creating: components[...], at: time, body)
    }

    @discardableResult
    public mutating func removeKey(at path: RegistryPath, at time: UInt64? = nil) -> Bool {
        let (isMachine, components) = physical(path)
        if isMachine { return localMachine.removeKey(at: components[...], at: time) }
        return users.removeKey(at: components[...], at: time)
    }

    /// Applies a `.reg` file the way regedit imports it.
    public mutating func apply(_ file: RegFile, at time: UInt64? = nil) {
        for section in file.sections {
            if section.deletesKey {
                removeKey(at: section.path, at: time)
                continue
            }
            withKey(creating: section.path, at: time) { key in
                for operation in section.operations {
                    switch operation {
                    case .set(let value): key.setValue(value, at: time)
                    case .delete(let name): key.removeValue(named: name, at: time)
                    }
                }
            }
        }
    }

    /// Applies a Registry.pol to HKLM (machine) or HKCU (user).
    public mutating func apply(_ policy: PolicyFile, scope: PolicyScope, at time: UInt64? = nil) {
        switch scope {
        case .machine: policy.apply(to: &localMachine, at: time)
        case .user: withKey(creating: RegistryPath(root: .currentUser, components: []), at: time) { policy.apply(to: &$0, at: time) }
        }
    }
}

extension RegistrySnapshot {
    /// Gives a registry merged from Windows exports the 32-bit class view a 64-bit Windows has: 32-bit programs
    /// read `HKLM\Software\Classes` from `Software\Classes\Wow6432Node`, which `reg export` of the 32-bit view
    /// may also spell `Software\Wow6432Node\Classes`. Keys under that spelling move to the physical place, and
    /// `Software\Wow6432Node\Classes` becomes the link Wine's own prefixes hold, so the lookup rules of
    /// `key(at:bitness:)` serve exports and prefixes alike. Does nothing without a `Software\Wow6432Node`.
    public mutating func linkThirtyTwoBitClasses() {
        guard var wow = localMachine.key(at: "Software\\Wow6432Node"), !(wow.subkey(named: "Classes")?.isSymbolicLink ?? false) else { return }
        if let spelled = wow.removeSubkey(named: "Classes") {
            localMachine.withKey(creating: ["Software", "Classes", "Wow6432Node"][...]) { target in
                for value in spelled.values { target.setValue(value) }
                for subkey in spelled.subkeys { target.mergeSubkey(subkey) }
            }
        }
        var link = RegistryKey(name: "Classes")
        link.isSymbolicLink = true
        link.setValue(RegistryValue(
            name: "SymbolicLinkValue", type: .link,
            data: RegistryValue.utf16LEBytes("\\REGISTRY\\Machine\\Software\\Classes\\Wow6432Node", terminated: false)))
        wow.setSubkey(link)
        localMachine.withKey(creating: ["Software"][...]) { $0.setSubkey(wow) }
    }
}
