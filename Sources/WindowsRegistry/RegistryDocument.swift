import Foundation

/// Where a registry to read comes from: a Wine prefix, or files copied off a Windows machine.
public enum RegistryTarget: Sendable, Equatable {
    /// nil: `$WINEPREFIX`, else `~/.wine`.
    case winePrefix(String?)
    /// `.reg` exports, Registry.pol files and Wine hive files, applied in order.
    /// `policyScope` is for a Registry.pol that is not under a `Machine/` or `User/` folder.
    case files([String], policyScope: PolicyScope?)
}

/// Loading a target into one `RegistrySnapshot` (for an offline machine: the union of the files).
public enum RegistryLoader {
    public static func load(_ target: RegistryTarget, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistrySnapshot {
        switch target {
        case .winePrefix(let directory):
            return try WinePrefix.locate(explicit: directory, environment: environment).load().snapshot
        case .files(let paths, let scope):
            var snapshot = RegistrySnapshot()
            for path in paths { try apply(path, scope: scope, to: &snapshot) }
            snapshot.linkThirtyTwoBitClasses()
            return snapshot
        }
    }

    /// Loads only what a native-view lookup of `key` needs from Wine hives; other sources load in full. The
    /// filtered scan keeps every key on the way to `key`, so a key it does not find is not in the hive, unless
    /// the way crosses a symbolic link (Wine's `CurrentControlSet`): its target was not read, and the whole
    /// registry is loaded to follow it.
    public static func load(_ target: RegistryTarget, for key: RegistryPath, bitness: RegistryBitness,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistrySnapshot {
        guard bitness == .native64, case .winePrefix(let directory) = target else { return try load(target, environment: environment) }
        let prefix = try WinePrefix.locate(explicit: directory, environment: environment)
        let file: WineHiveFile, components: [String]
        switch key.root {
        case .localMachine: (file, components) = (.system, key.components)
        case .classesRoot: (file, components) = (.system, ["Software", "Classes"] + key.components)
        case .currentUser: (file, components) = (.user, key.components)
        default: return try load(target, environment: environment)
        }
        let url = prefix.url(of: file)
        let hive = try WineHiveCodec.decode(try RegistryFileReader.readData(url.path), fileName: url.path, onlyBelow: components)
        let empty = WineHive(relativeTo: "REGISTRY\\Machine")
        let partial = file == .system
            ? WinePrefixRegistry(system: hive, user: WineHive(relativeTo: "REGISTRY\\User\\" + RegistrySnapshot.wineUserSID))
            : WinePrefixRegistry(system: empty, user: hive)
        let snapshot = partial.snapshot
        if snapshot.key(at: key) != nil || provesAbsent(hive.root, components) { return snapshot }
        return try load(target, environment: environment)
    }

    /// Whether walking `components` down from `root` stops at a missing component without meeting a symbolic
    /// link key first: then the key is not in the hive. Anything else (a link, or a walk that did not stop)
    /// decides nothing.
    static func provesAbsent(_ root: RegistryKey, _ components: [String]) -> Bool {
        var current = root
        for component in components {
            guard let next = current.subkey(named: component) else { return true }
            if next.isSymbolicLink { return false }
            current = next
        }
        return false
    }

    static func apply(_ path: String, scope: PolicyScope?, to snapshot: inout RegistrySnapshot) throws {
        try apply(RegistryFileReader.read(path), fileName: path, scope: scope, to: &snapshot)
    }

    /// Applies one file's bytes, recognised by content: a Registry.pol by its signature, a Wine hive by its
    /// header, anything else must be a `.reg` file (and fails with the codec's line-exact error if it is not).
    /// `fileName` names the file in errors and, for a Registry.pol, implies its scope (`…/Machine/…`).
    public static func apply(_ bytes: [UInt8], fileName: String, scope: PolicyScope?, to snapshot: inout RegistrySnapshot) throws {
        if bytes.starts(with: PolicyFileCodec.signature) {
            guard let scope = PolicyScope(filePath: fileName) ?? scope else {
                throw RegistryError.policyScopeUnknown(path: fileName)
            }
            snapshot.apply(try PolicyFileCodec.decode(bytes, fileName: fileName), scope: scope)
        } else if bytes.starts(with: Array("WINE REGISTRY".utf8)) {
            var hive = try WineHiveCodec.decode(bytes, fileName: fileName)
            let header = String(decoding: hive.header, as: UTF8.self)
            if let range = header.range(of: "User\\\\") {
                let sid = String(header[range.upperBound...].prefix { !$0.isWhitespace })
                if sid.hasPrefix("S-") { snapshot.currentUserSID = sid }
                hive.root.name = sid
                snapshot.users.setSubkey(hive.root)
            } else {
                snapshot.localMachine = hive.root
            }
        } else {
            snapshot.apply(try RegFileCodec.decode(bytes, fileName: fileName))
        }
    }
}

/// Output formats of `registry query`.
public enum RegistryQueryFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Output formats of `registry export`.
public enum RegistryExportFormat: String, Sendable, CaseIterable {
    /// Windows Registry Editor Version 5.00 (UTF-16LE).
    case reg
    /// REGEDIT4 in CP936/GBK.
    case reg4
    /// Registry.pol (HKLM or HKCU keys only; the hive is implied by where the file goes).
    case pol
    /// A Wine hive file holding the key's tree.
    case wine
    case json
}

/// Finding keys and rendering them for people and programs (the `registry` command's logic).
public enum RegistryPresenter {
    public static func key(_ snapshot: RegistrySnapshot, _ path: RegistryPath, bitness: RegistryBitness) throws -> RegistryKey {
        guard let key = snapshot.key(at: path, bitness: bitness) else { throw RegistryError.keyNotFound(path: path.description) }
        return key
    }

    /// `registry query`: the key (or one value) as text like `reg query`, or as JSON.
    public static func query(_ snapshot: RegistrySnapshot, path text: String, valueName: String?,
                             format: RegistryQueryFormat, bitness: RegistryBitness = .native64) throws -> [UInt8] {
        let path = try RegistryPath(parsing: text)
        let key = try key(snapshot, path, bitness: bitness)
        var values = key.values
        if let valueName {
            guard let value = key.value(named: valueName) else { throw RegistryError.valueNotFound(key: path.description, name: valueName) }
            values = [value]
        }
        switch format {
        case .json:
            return try json(jsonObject(path: path, key: key, values: values))
        case .text:
            var lines = [path.description]
            for value in values {
                lines.append("    " + (value.name.isEmpty ? "(Default)" : value.name) + "    " + value.type.name + "    " + textData(value))
            }
            if valueName == nil {
                for subkey in key.subkeys { lines.append(""); lines.append(path.description + "\\" + subkey.name) }
            }
            return Array((lines.joined(separator: "\n") + "\n").utf8)
        }
    }

    /// `registry export`: the key's tree in another format.
    public static func export(_ snapshot: RegistrySnapshot, path text: String, format: RegistryExportFormat,
                              bitness: RegistryBitness = .native64) throws -> [UInt8] {
        let path = try RegistryPath(parsing: text)
        let key = try key(snapshot, path, bitness: bitness)
        var named = key
        named.name = path.components.last ?? ""
        switch format {
        case .reg: return try RegFileCodec.encode(RegFile.exporting(named, at: path, format: .version5))
        case .reg4: return try RegFileCodec.encode(RegFile.exporting(named, at: path, format: .regedit4Chinese))
        case .pol:
            let relative = try hiveRelative(path)
            return PolicyFileCodec.encode(PolicyFile(records: PolicyFileCodec.records(for: named, path: relative.path)))
        case .wine:
            let relative = try hiveRelative(path)
            var hive = WineHive(relativeTo: relative.isMachine ? "REGISTRY\\Machine" : "REGISTRY\\User\\" + snapshot.currentUserSID)
            if path.components.isEmpty {
                hive.root = key
            } else {
                hive.root.withKey(creating: path.components.dropLast()[...], at: key.lastWriteTime) { $0.setSubkey(named) }
            }
            return WineHiveCodec.encode(hive)
        case .json:
            var objects: [[String: Any]] = []
            func visit(_ key: RegistryKey, _ path: RegistryPath) {
                objects.append(jsonObject(path: path, key: key, values: key.values))
                for subkey in key.subkeys { visit(subkey, RegistryPath(root: path.root, components: path.components + [subkey.name])) }
            }
            visit(key, path)
            return try json(objects)
        }
    }

    /// Registry.pol and Wine hives hold HKLM or HKCU paths relative to the hive.
    static func hiveRelative(_ path: RegistryPath) throws -> (isMachine: Bool, path: String) {
        switch path.root {
        case .localMachine: return (true, path.relativePath)
        case .currentUser: return (false, path.relativePath)
        case .classesRoot: return (true, (["Software", "Classes"] + path.components).joined(separator: "\\"))
        default: throw RegistryError.invalidPath(path.description + " (only HKLM, HKCU and HKCR can be written to this format)")
        }
    }

    static func textData(_ value: RegistryValue) -> String {
        if let dword = value.dwordValue { return "0x" + String(dword, radix: 16) }
        if let qword = value.qwordValue { return "0x" + String(qword, radix: 16) }
        if let strings = value.multiStringValue { return strings.joined(separator: "\\0") }
        if let string = value.stringValue { return string }
        return hex(value.data)
    }

    static func hex(_ data: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(data.count * 2)
        for byte in data {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return text
    }

    /// `data`: strings as strings, multi-strings as arrays, DWORD/QWORD as numbers, the rest hex.
    static func jsonData(_ value: RegistryValue) -> Any {
        if let dword = value.dwordValue { return NSNumber(value: dword) }
        if let qword = value.qwordValue { return NSNumber(value: qword) }
        if let strings = value.multiStringValue { return strings }
        if value.type == .string || value.type == .expandString, let string = value.stringValue,
           value.data.count >= 2, value.data.suffix(2) == [0, 0] {
            return string
        }
        return hex(value.data)
    }

    static func jsonObject(path: RegistryPath, key: RegistryKey, values: [RegistryValue]) -> [String: Any] {
        [
            "path": path.description,
            "subkeys": key.subkeys.map(\.name),
            "values": values.map { ["name": $0.name, "type": $0.type.name, "data": jsonData($0)] as [String: Any] },
        ]
    }

    static func json(_ object: Any) throws -> [UInt8] {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return Array(data) + [0x0a]
    }
}
