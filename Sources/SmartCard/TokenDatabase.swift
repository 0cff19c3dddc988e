import Foundation

/// The token models a profile knows (`Checks/profiles/sscc-tokens.json`): how to recognise each
/// one (USB ids, ATRs with masks) and which PKCS#11 modules are its vendor's and which belong to
/// another vendor (E3's "wrong driver"). A new model or a renamed module is a data change.
public struct TokenDatabase: Sendable, Equatable {
    public let models: [TokenModel]

    public init(models: [TokenModel]) throws(TokenDatabaseError) {
        self.models = models
        try validate()
    }

    /// Decodes and validates a database from its JSON text.
    public static func decode(_ data: Data) throws(TokenDatabaseError) -> TokenDatabase {
        let file: TokenDatabaseFile
        do {
            file = try JSONDecoder().decode(TokenDatabaseFile.self, from: data)
        } catch let error as DecodingError {
            throw .malformed(reason: Self.describe(error))
        } catch {
            throw .malformed(reason: String(describing: error))
        }
        guard file.formatVersion == 1 else { throw .unsupportedVersion(file.formatVersion) }
        var models: [TokenModel] = []
        for entry in file.tokens {
            models.append(try TokenModel(entry))
        }
        return try TokenDatabase(models: models)
    }

    public static func load(contentsOf url: URL) throws(TokenDatabaseError) -> TokenDatabase {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .unreadable(path: url.path) }
        return try decode(data)
    }

    public func model(id: String) -> TokenModel? {
        models.first { $0.id == id }
    }

    /// The model whose ATR patterns match `atr`, if any.
    public func model(matching atr: ATR) -> TokenModel? {
        models.first { $0.matches(atr) }
    }

    private func validate() throws(TokenDatabaseError) {
        var seen = Set<String>()
        for model in models {
            guard seen.insert(model.id).inserted else { throw .invalid(token: model.id, reason: "duplicate token id") }
        }
        if models.isEmpty { throw .malformed(reason: "no token models") }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, context):
            "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            "\(context.debugDescription) at \(path(context.codingPath))"
        @unknown default:
            String(describing: error)
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// One token kind, e.g. the Feitian ePass3003.
public struct TokenModel: Sendable, Equatable, Identifiable {
    public let id: String
    public let name: String
    public let vendor: String
    /// Any device of this USB vendor id is "a device of the token's maker" (plugged in, maybe no driver).
    public let usbVendorID: UInt16
    public let usbDevices: [USBDeviceID]
    public let atrs: [ATRPattern]
    public let modules: [PKCS11ModuleEntry]
    public let foreignModules: [ForeignPKCS11Module]

    public func matches(_ atr: ATR) -> Bool {
        atrs.contains { $0.matches(atr) }
    }

    /// The foreign-vendor entry `path` or a module's reported manufacturer belongs to, if any.
    public func foreignModule(path: String, manufacturer: String? = nil) -> ForeignPKCS11Module? {
        let file = (path as NSString).lastPathComponent
        return foreignModules.first { foreign in
            foreign.fileNames.contains { file == $0 || file.hasPrefix($0 + ".") }
                || manufacturer.map { reported in
                    foreign.manufacturers.contains { reported.localizedCaseInsensitiveContains($0) }
                } == true
        }
    }

    /// Whether a module's reported manufacturer is one this token's vendor uses.
    public func isVendorManufacturer(_ manufacturer: String) -> Bool {
        modules.contains { entry in entry.manufacturers.contains { manufacturer.localizedCaseInsensitiveContains($0) } }
    }

    init(_ entry: TokenDatabaseFile.Token) throws(TokenDatabaseError) {
        let id = entry.id
        guard !id.isEmpty else { throw .invalid(token: "?", reason: "empty token id") }
        guard let vendor = USBDeviceID.parseHalf(entry.usbVendorID) else {
            throw .invalid(token: id, reason: "usbVendorID '\(entry.usbVendorID)' is not a 4-digit hex USB id")
        }
        var devices: [USBDeviceID] = []
        for device in entry.usbDevices {
            guard let parsed = USBDeviceID(vendor: device.vendorID, product: device.productID) else {
                throw .invalid(token: id, reason: "USB id '\(device.vendorID):\(device.productID)' is not hex")
            }
            devices.append(parsed)
        }
        guard !entry.atrs.isEmpty else { throw .invalid(token: id, reason: "no ATR listed") }
        var patterns: [ATRPattern] = []
        for atr in entry.atrs {
            guard let value = ATR(hex: atr.atr) else { throw .invalid(token: id, reason: "ATR '\(atr.atr)' is not hex") }
            var mask: [UInt8]?
            if let maskText = atr.mask {
                guard let bytes = HexBytes.parse(maskText) else {
                    throw .invalid(token: id, reason: "ATR mask '\(maskText)' is not hex")
                }
                guard bytes.count == value.bytes.count else {
                    throw .invalid(token: id, reason: "ATR mask '\(maskText)' has \(bytes.count) bytes, the ATR \(value.bytes.count)")
                }
                mask = bytes
            }
            patterns.append(ATRPattern(value: value, mask: mask))
        }
        for module in entry.pkcs11Modules where module.fileName.isEmpty || module.fileName.contains("/") {
            throw .invalid(token: id, reason: "PKCS#11 module file name '\(module.fileName)' must be a bare file name")
        }
        self.id = id
        self.name = entry.name
        self.vendor = entry.vendor
        self.usbVendorID = vendor
        self.usbDevices = devices
        self.atrs = patterns
        self.modules = entry.pkcs11Modules.map {
            PKCS11ModuleEntry(fileName: $0.fileName, paths: $0.paths, manufacturers: $0.manufacturers)
        }
        self.foreignModules = entry.foreignModules.map {
            ForeignPKCS11Module(vendor: $0.vendor, fileNames: $0.fileNames, manufacturers: $0.manufacturers)
        }
    }

    public init(
        id: String, name: String, vendor: String, usbVendorID: UInt16, usbDevices: [USBDeviceID],
        atrs: [ATRPattern], modules: [PKCS11ModuleEntry], foreignModules: [ForeignPKCS11Module]
    ) {
        self.id = id
        self.name = name
        self.vendor = vendor
        self.usbVendorID = usbVendorID
        self.usbDevices = usbDevices
        self.atrs = atrs
        self.modules = modules
        self.foreignModules = foreignModules
    }
}

/// The vendor's PKCS#11 module for a token: its file name and where installers put it.
public struct PKCS11ModuleEntry: Sendable, Equatable {
    public let fileName: String
    public let paths: [String]
    /// Substrings of `C_GetInfo`'s manufacturer that identify the vendor's module.
    public let manufacturers: [String]

    public init(fileName: String, paths: [String], manufacturers: [String]) {
        self.fileName = fileName
        self.paths = paths
        self.manufacturers = manufacturers
    }
}

/// A PKCS#11 module of another vendor; configured for this token it is E3's "wrong driver".
public struct ForeignPKCS11Module: Sendable, Equatable {
    public let vendor: String
    public let fileNames: [String]
    public let manufacturers: [String]

    public init(vendor: String, fileNames: [String], manufacturers: [String]) {
        self.vendor = vendor
        self.fileNames = fileNames
        self.manufacturers = manufacturers
    }
}

/// The JSON shape of the profile file.
struct TokenDatabaseFile: Decodable {
    struct USBEntry: Decodable {
        let vendorID: String
        let productID: String
        let name: String?
    }

    struct ATREntry: Decodable {
        let atr: String
        let mask: String?
        let description: String?
    }

    struct ModuleEntry: Decodable {
        let fileName: String
        let paths: [String]
        let manufacturers: [String]
    }

    struct ForeignEntry: Decodable {
        let vendor: String
        let fileNames: [String]
        let manufacturers: [String]
    }

    struct Token: Decodable {
        let id: String
        let name: String
        let vendor: String
        let usbVendorID: String
        let usbDevices: [USBEntry]
        let atrs: [ATREntry]
        let pkcs11Modules: [ModuleEntry]
        let foreignModules: [ForeignEntry]
    }

    let formatVersion: Int
    let tokens: [Token]
}

public enum TokenDatabaseError: Error, Equatable, Sendable {
    case unreadable(path: String)
    case malformed(reason: String)
    case unsupportedVersion(Int)
    case invalid(token: String, reason: String)
}

extension TokenDatabaseError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .unreadable(path): "The token database \(path) cannot be read."
        case let .malformed(reason): "The token database is malformed: \(reason)."
        case let .unsupportedVersion(version): "The token database has format version \(version); version 1 is supported."
        case let .invalid(token, reason): "The token database entry '\(token)' is invalid: \(reason)."
        }
    }

    public var chineseDescription: String {
        switch self {
        case let .unreadable(path): "无法读取令牌数据库 \(path)。"
        case let .malformed(reason): "令牌数据库格式错误：\(reason)。"
        case let .unsupportedVersion(version): "令牌数据库格式版本为 \(version)，仅支持版本 1。"
        case let .invalid(token, reason): "令牌数据库条目“\(token)”无效：\(reason)。"
        }
    }
}
