import Foundation
import Testing
import TestSupport
@testable import SmartCard

@Suite struct IFDDriverBundleTests {
    /// libccid's real Info.plist: it claims the ePass2003 but not the ePass3003 (the reason the
    /// ePass3003 needs Feitian's own driver on Linux).
    @Test func libccidClaimsTheEPass2003ButNotTheEPass3003() throws {
        let scan = IFDDriverScan.scan()
        let ccid = try #require(scan.bundles.first { $0.path.hasSuffix("ifd-ccid.bundle") })
        #expect(ccid.executable == "libccid.so")
        #expect(ccid.devices.count > 100)
        #expect(ccid.supports(USBDeviceID(vendor: 0x096E, product: 0x0807)))
        #expect(ccid.devices.first { $0.id == USBDeviceID(vendor: 0x096E, product: 0x0807) }?.friendlyName?.contains("ePass2003") == true)
        #expect(scan.bundles(supporting: [USBDeviceID(vendor: 0x096E, product: 0x0702), USBDeviceID(vendor: 0x096E, product: 0x0703)]).isEmpty)
    }

    @Test func findsAVendorBundleThatListsTheToken() throws {
        let drivers = try ExternalProcess.temporaryDirectory("certdoctor-ifd")
        defer { try? FileManager.default.removeItem(at: drivers) }
        try Self.writeBundle(in: drivers, name: "ifd-epass3003.bundle", plist: Self.plist(
            executable: "libepass3003.so",
            vendors: "<array><string>0x096E</string><string>0x096E</string></array>",
            products: "<array><string>0x0702</string><string>0x0703</string></array>",
            names: "<array><string>FT ePass3003</string><string>FT ePass3003Auto</string></array>"
        ))
        // A single-device driver writes plain strings instead of arrays.
        try Self.writeBundle(in: drivers, name: "ifd-single.bundle", plist: Self.plist(
            executable: "libsingle.so", vendors: "<string>0x1234</string>", products: "<string>0x0001</string>", names: "<string>One</string>"
        ))
        try Self.writeBundle(in: drivers, name: "ifd-broken.bundle", plist: "<plist><dict><key>ifdVendorID</key>")
        try FileManager.default.createDirectory(at: drivers.appendingPathComponent("not-a-bundle"), withIntermediateDirectories: true)

        let scan = IFDDriverScan.scan(directory: drivers.path)
        #expect(scan.bundles.map(\.executable) == ["libepass3003.so", "libsingle.so"])
        let found = scan.bundles(supporting: [USBDeviceID(vendor: 0x096E, product: 0x0703)])
        #expect(found.map(\.executable) == ["libepass3003.so"])
        #expect(found.first?.devices.last?.friendlyName == "FT ePass3003Auto")
        #expect(scan.bundles.last?.supports(USBDeviceID(vendor: 0x1234, product: 0x0001)) == true)
        #expect(scan.failures.count == 1)
        if case let .unparsable(path, _) = scan.failures.first {
            #expect(path.contains("ifd-broken.bundle"))
        } else {
            Issue.record("the broken bundle was not reported: \(scan.failures)")
        }
    }

    @Test func mismatchedParallelArraysAreAnError() throws {
        let drivers = try ExternalProcess.temporaryDirectory("certdoctor-ifd")
        defer { try? FileManager.default.removeItem(at: drivers) }
        try Self.writeBundle(in: drivers, name: "x.bundle", plist: Self.plist(
            executable: "x.so", vendors: "<array><string>0x096E</string></array>", products: "<array></array>", names: "<array></array>"
        ))
        #expect(throws: IFDBundleError.self) {
            try IFDDriverBundle(bundleAt: drivers.appendingPathComponent("x.bundle").path)
        }
    }

    @Test func aMissingDriversDirectoryMeansNoDrivers() {
        let scan = IFDDriverScan.scan(directory: "/nonexistent/drivers")
        #expect(scan.bundles.isEmpty && scan.failures.isEmpty)
    }

    static func writeBundle(in drivers: URL, name: String, plist: String) throws {
        let contents = drivers.appendingPathComponent(name).appendingPathComponent("Contents")
        try FileManager.default.createDirectory(at: contents, withIntermediateDirectories: true)
        try plist.write(to: contents.appendingPathComponent("Info.plist"), atomically: true, encoding: .utf8)
    }

    static func plist(executable: String, vendors: String, products: String, names: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
        \t<key>CFBundleExecutable</key>
        \t<string>\(executable)</string>
        \t<key>ifdCapabilities</key>
        \t<string>0x00000000</string>
        \t<key>ifdVendorID</key>
        \t\(vendors)
        \t<key>ifdProductID</key>
        \t\(products)
        \t<key>ifdFriendlyName</key>
        \t\(names)
        </dict>
        </plist>
        """
    }
}
