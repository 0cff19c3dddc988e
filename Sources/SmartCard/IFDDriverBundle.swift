import Foundation

/// A pcsc-lite USB reader driver bundle (`<name>.bundle/Contents/Info.plist`) and the devices its
/// Info.plist claims. A token is driven on Linux only when some bundle lists its USB id (R7).
public struct IFDDriverBundle: Sendable, Equatable {
    /// One device the bundle claims; Info.plist keeps vendor, product and name in parallel arrays.
    public struct Device: Sendable, Equatable {
        public let id: USBDeviceID
        public let friendlyName: String?
    }

    public let path: String
    /// `CFBundleExecutable`, the shared library pcscd loads.
    public let executable: String?
    public let devices: [Device]

    public func supports(_ id: USBDeviceID) -> Bool {
        devices.contains { $0.id == id }
    }

    /// Reads the bundle at `path` (the `.bundle` directory).
    public init(bundleAt path: String) throws(IFDBundleError) {
        let plist = URL(fileURLWithPath: path).appendingPathComponent("Contents/Info.plist").path
        guard FileManager.default.isReadableFile(atPath: plist) else { throw .missingInfoPlist(path: plist) }
        let document = try PropertyListDocument.read(path: plist).get()
        let vendors = Self.strings(document.entries["ifdVendorID"])
        let products = Self.strings(document.entries["ifdProductID"])
        let names = Self.strings(document.entries["ifdFriendlyName"])
        guard vendors.count == products.count else {
            throw .unparsable(path: plist, reason: "ifdVendorID has \(vendors.count) entries, ifdProductID \(products.count)")
        }
        var devices: [Device] = []
        for index in vendors.indices {
            guard let id = USBDeviceID(vendor: vendors[index], product: products[index]) else {
                throw .unparsable(path: plist, reason: "entry \(index) '\(vendors[index]):\(products[index])' is not a USB id")
            }
            devices.append(Device(id: id, friendlyName: index < names.count ? names[index] : nil))
        }
        self.path = path
        if case let .string(executable) = document.entries["CFBundleExecutable"] {
            self.executable = executable
        } else {
            self.executable = nil
        }
        self.devices = devices
    }

    private static func strings(_ value: PropertyListDocument.Value?) -> [String] {
        switch value {
        case let .string(single): [single]
        case let .strings(list): list
        default: []
        }
    }
}

/// All driver bundles in a pcsc-lite drivers directory, and those that could not be read.
public struct IFDDriverScan: Sendable, Equatable {
    public static let defaultDirectory = "/usr/lib/pcsc/drivers"

    public let directory: String
    public let bundles: [IFDDriverBundle]
    public let failures: [IFDBundleError]

    /// Reads every `*.bundle` in `directory`; a missing directory is an empty scan (no drivers).
    public static func scan(directory: String = defaultDirectory) -> IFDDriverScan {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var bundles: [IFDDriverBundle] = []
        var failures: [IFDBundleError] = []
        for entry in entries.sorted() where entry.hasSuffix(".bundle") {
            do {
                bundles.append(try IFDDriverBundle(bundleAt: URL(fileURLWithPath: directory).appendingPathComponent(entry).path))
            } catch {
                failures.append(error)
            }
        }
        return IFDDriverScan(directory: directory, bundles: bundles, failures: failures)
    }

    /// The bundles that claim any of `ids`.
    public func bundles(supporting ids: [USBDeviceID]) -> [IFDDriverBundle] {
        bundles.filter { bundle in ids.contains { bundle.supports($0) } }
    }
}

public enum IFDBundleError: Error, Equatable, Sendable {
    case missingInfoPlist(path: String)
    case unparsable(path: String, reason: String)
}

extension IFDBundleError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .missingInfoPlist(path): "The driver bundle has no readable Info.plist at \(path)."
        case let .unparsable(path, reason): "The driver Info.plist \(path) cannot be read: \(reason)."
        }
    }

    public var chineseDescription: String {
        switch self {
        case let .missingInfoPlist(path): "驱动包缺少可读的 Info.plist：\(path)。"
        case let .unparsable(path, reason): "无法解析驱动 Info.plist \(path)：\(reason)。"
        }
    }
}
