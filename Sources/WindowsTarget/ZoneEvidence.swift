import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// How the Windows-side checks name the registry entries the zone engine reports.
extension SettingSource {
    /// Group Policy decided it (the Site-to-Zone list, a policy zone setting).
    public var isPolicy: Bool { layer == .machinePolicy || layer == .userPolicy }

    /// A ZoneMap entry (or policy list entry) decided the zone, not a scheme default.
    public var isZoneListEntry: Bool {
        guard let path, layer != .builtInDefault else { return false }
        return !path.components.contains { RegistryName.equal($0, "ProtocolDefaults") }
    }
}

extension WindowsSide {
    /// `HKCU\…\ZoneMap\Domains\sscc.com\biz "https"`, with a machine key's view spelled out
    /// (`HKLM\Software\Wow6432Node\…`); a built-in default says what it is.
    public func describe(_ source: SettingSource) -> String {
        guard let path = source.path else {
            return isWine ? "Wine's built-in default" : "the built-in default"
        }
        let key: String
        switch path.root {
        case .localMachine where !source.isPolicy: key = machineDisplayPath(path.relativePath)
        default: key = ([path.root.abbreviation] + path.components).joined(separator: "\\")
        }
        return key + (source.valueName.map { " \"\($0)\"" } ?? "")
    }

    /// Entries that name the URL or action but did not decide, as evidence and as the sentence a person needs.
    public func ignoredNotes(_ ignored: [IgnoredSetting]) -> (evidence: [Evidence], note: Localized?) {
        guard !ignored.isEmpty else { return ([], nil) }
        let evidence = ignored.map { Evidence("ignored", describe($0.source) + " (\(Self.reason($0.reason).en))") }
        let first = ignored[0]
        let note = Localized(zh: "；\(describe(first.source)) ", en: "; \(describe(first.source)) ") + Self.reason(first.reason)
        return (evidence, note)
    }

    public static func reason(_ reason: IgnoredSetting.Reason) -> Localized {
        switch reason {
        case .only64BitView:
            Localized(zh: "只存在于 64 位注册表视图中，32 位 Internet Explorer 不读取它", en: "is found only in the 64-bit registry view, which 32-bit Internet Explorer does not read")
        case .hiddenBySiteToZoneList:
            Localized(zh: "被组策略“站点到区域分配列表”屏蔽（启用该策略后用户和计算机的列表不再生效）", en: "is hidden by the Site to Zone Assignment List policy (with it on, the user's and machine's lists do not count)")
        case .notReadByWine:
            Localized(zh: "Wine 不读取（Wine 的 urlmon 只读 ZoneMap\\Domains 和 Zones）", en: "is not read by Wine (Wine's urlmon reads only ZoneMap\\Domains and Zones)")
        }
    }
}
