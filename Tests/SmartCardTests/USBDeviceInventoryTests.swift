import Foundation
import Testing
import TestSupport
@testable import SmartCard

/// The sysfs tree is written by the test: this machine has no USB token to plug in.
@Suite struct USBDeviceInventoryTests {
    @Test func readsVendorAndProductFromSysfs() throws {
        let root = try ExternalProcess.temporaryDirectory("certdoctor-sysfs")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.device(root, "1-1", vendor: "096e", product: "0703", productName: "ePass3003Auto")
        try Self.device(root, "1-2", vendor: "1d6b", product: "0002", productName: nil)
        // Interfaces (1-1:1.0) have no idVendor and are not devices.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sys/bus/usb/devices/1-1:1.0"), withIntermediateDirectories: true)

        let inventory = USBDeviceInventory.scan(root: root.path)
        #expect(inventory.devices.map(\.id.description) == ["096E:0703", "1D6B:0002"])
        #expect(inventory.devices(vendor: 0x096E).map(\.product) == ["ePass3003Auto"])
        #expect(inventory.devices(matching: [USBDeviceID(vendor: 0x096E, product: 0x0702)]).isEmpty)
        #expect(inventory.devices(matching: [USBDeviceID(vendor: 0x096E, product: 0x0703)]).map(\.busPath) == ["1-1"])
    }

    @Test func noSysfsMeansNoDevices() {
        #expect(USBDeviceInventory.scan(root: "/nonexistent").devices.isEmpty)
    }

    static func device(_ root: URL, _ name: String, vendor: String, product: String, productName: String?) throws {
        let directory = root.appendingPathComponent("sys/bus/usb/devices/\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "\(vendor)\n".write(to: directory.appendingPathComponent("idVendor"), atomically: true, encoding: .utf8)
        try "\(product)\n".write(to: directory.appendingPathComponent("idProduct"), atomically: true, encoding: .utf8)
        if let productName {
            try "\(productName)\n".write(to: directory.appendingPathComponent("product"), atomically: true, encoding: .utf8)
        }
    }
}
