import Foundation
import Testing
import TestSupport
@testable import SmartCard

@Suite struct TokenDatabaseTests {
    @Test func theProfileDescribesTheEPass3003() throws {
        let database = try TokenDatabase.load(contentsOf: TestEnvironment.tokenProfile)
        let model = try #require(database.model(id: "feitian.epass3003"))
        #expect(model.usbDevices == [USBDeviceID(vendor: 0x096E, product: 0x0702), USBDeviceID(vendor: 0x096E, product: 0x0703)])
        #expect(model.usbVendorID == 0x096E)
        #expect(database.model(matching: try #require(ATR(hex: TestEnvironment.ePass3003ATR)))?.id == model.id)
        #expect(database.model(matching: try #require(ATR(hex: TestEnvironment.otherCardATR))) == nil)
        #expect(model.modules.contains { $0.fileName == "libshuttle_p11v220.so" })
        #expect(model.foreignModule(path: "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")?.vendor == "OpenSC")
        #expect(model.foreignModule(path: "/opt/x/libfoo.so", manufacturer: "Shenzhen Mingwah Aohan")?.vendor == "Mingwah")
        #expect(model.foreignModule(path: "/opt/SecurityData_Linux/redist/x86_64/libshuttle_p11v220.so.1.0.0", manufacturer: "EnterSafe") == nil)
        #expect(model.isVendorManufacturer("Feitian Technologies Co., Ltd."))
        #expect(!model.isVendorManufacturer("SoftHSM"))
    }

    @Test(arguments: [
        (#"{"formatVersion": 1, "tokens": [ENTRY]}"#.replacingOccurrences(of: "ENTRY", with: entry(atr: "3B ZZ")), "ATR '3B ZZ' is not hex"),
        (#"{"formatVersion": 1, "tokens": [ENTRY]}"#.replacingOccurrences(of: "ENTRY", with: entry(mask: "FF FF")), "has 2 bytes, the ATR 3"),
        (#"{"formatVersion": 1, "tokens": [ENTRY]}"#.replacingOccurrences(of: "ENTRY", with: entry(usbProduct: "07020")), "is not hex"),
        (#"{"formatVersion": 1, "tokens": [ENTRY, ENTRY]}"#.replacingOccurrences(of: "ENTRY", with: entry()), "duplicate token id"),
        (#"{"formatVersion": 2, "tokens": []}"#, "format version 2"),
        (#"{"formatVersion": 1, "tokens": [{"id": "x"}]}"#, "missing key 'name' at tokens.0"),
        (#"{"formatVersion": 1, "tokens": []}"#, "no token models"),
        ("not json", "malformed"),
    ])
    func rejectsBadDataWithAClearMessage(json: String, message: String) {
        #expect {
            try TokenDatabase.decode(Data(json.utf8))
        } throws: { error in
            let description = (error as? TokenDatabaseError)?.errorDescription ?? ""
            return description.contains(message) && !((error as? TokenDatabaseError)?.chineseDescription.isEmpty ?? true)
        }
    }

    @Test func readsAMaskedATRFromData() throws {
        let json = #"{"formatVersion": 1, "tokens": [ENTRY]}"#.replacingOccurrences(of: "ENTRY", with: Self.entry(mask: "FF FF 00"))
        let database = try TokenDatabase.decode(Data(json.utf8))
        #expect(database.model(matching: ATR(bytes: [0x3B, 0x01, 0x77])) != nil)
        #expect(database.model(matching: ATR(bytes: [0x3B, 0x02, 0x77])) == nil)
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: TokenDatabaseError.unreadable(path: "/nonexistent/tokens.json")) {
            try TokenDatabase.load(contentsOf: URL(fileURLWithPath: "/nonexistent/tokens.json"))
        }
    }

    static func entry(atr: String = "3B 01 02", mask: String? = nil, usbProduct: String = "0702") -> String {
        let maskJSON = mask.map { "\"\($0)\"" } ?? "null"
        return """
        {"id": "t", "name": "T", "vendor": "V", "usbVendorID": "096E",
         "usbDevices": [{"vendorID": "096E", "productID": "\(usbProduct)"}],
         "atrs": [{"atr": "\(atr)", "mask": \(maskJSON)}],
         "pkcs11Modules": [], "foreignModules": []}
        """
    }
}

private func entry(atr: String = "3B 01 02", mask: String? = nil, usbProduct: String = "0702") -> String {
    TokenDatabaseTests.entry(atr: atr, mask: mask, usbProduct: usbProduct)
}
