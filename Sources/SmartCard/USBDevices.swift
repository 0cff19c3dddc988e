import Foundation

/// A USB vendor/product pair, written `096E:0702` as lsusb and usb.ids do.
public struct USBDeviceID: Hashable, Sendable, CustomStringConvertible {
    public let vendor: UInt16
    public let product: UInt16

    public init(vendor: UInt16, product: UInt16) {
        self.vendor = vendor
        self.product = product
    }

    /// Accepts `096E`, `0x096E` (Info.plist style) for each half.
    public init?(vendor: String, product: String) {
        guard let vendor = USBDeviceID.parseHalf(vendor), let product = USBDeviceID.parseHalf(product) else { return nil }
        self.init(vendor: vendor, product: product)
    }

    public var description: String {
        USBDeviceID.hex(vendor) + ":" + USBDeviceID.hex(product)
    }

    static func parseHalf(_ text: String) -> UInt16? {
        var digits = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if digits.lowercased().hasPrefix("0x") { digits.removeFirst(2) }
        guard (1...4).contains(digits.count) else { return nil }
        return UInt16(digits, radix: 16)
    }

    static func hex(_ value: UInt16) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - text.count) + text
    }
}

/// A device the kernel lists under `/sys/bus/usb/devices`.
public struct USBDevice: Hashable, Sendable {
    /// The sysfs device name, e.g. `1-1.2`.
    public let busPath: String
    public let id: USBDeviceID
    public let manufacturer: String?
    public let product: String?
}

/// The USB devices plugged into the host, read from sysfs. It answers "is a Feitian device
/// plugged in at all", which separates "no driver" from "not plugged in" (R11, E3) without udev.
public struct USBDeviceInventory: Sendable {
    public let devices: [USBDevice]

    public init(devices: [USBDevice]) {
        self.devices = devices
    }

    /// Reads `<root>/sys/bus/usb/devices/*/idVendor` and `idProduct`; `root` lets tests supply a
    /// fake tree. A host without sysfs (a container) simply has no devices.
    public static func scan(root: String = "/") -> USBDeviceInventory {
        let base = URL(fileURLWithPath: root).appendingPathComponent("sys/bus/usb/devices")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        let devices = entries.sorted().compactMap { entry -> USBDevice? in
            let directory = base.appendingPathComponent(entry)
            guard let vendor = read(directory, "idVendor"), let product = read(directory, "idProduct"),
                  let id = USBDeviceID(vendor: vendor, product: product)
            else { return nil }
            return USBDevice(busPath: entry, id: id, manufacturer: read(directory, "manufacturer"), product: read(directory, "product"))
        }
        return USBDeviceInventory(devices: devices)
    }

    public func devices(vendor: UInt16) -> [USBDevice] {
        devices.filter { $0.id.vendor == vendor }
    }

    public func devices(matching ids: [USBDeviceID]) -> [USBDevice] {
        devices.filter { ids.contains($0.id) }
    }

    private static func read(_ directory: URL, _ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
