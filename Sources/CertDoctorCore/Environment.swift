import Foundation

/// A key for data that outer modules attach to an environment (the SSCC profile, for example), in the manner
/// of SwiftUI's environment values, so the core needs to know none of their types.
public protocol EnvironmentKey {
    associatedtype Value: Sendable
    static var defaultValue: Value { get }
}

/// What a run examines: the targets the user named and the facts every check may read.
public struct Environment: Sendable {
    public var pfxFile: URL?
    public var pfxPassword: Secret?
    public var gateway: String?
    public var winePrefix: URL?
    public var registryFiles: [URL]
    public var registryHive: String?
    public var tokenRequested: Bool
    public var browsers: [String]
    public var now: Date
    public var language: Language
    public var pluginTimeout: TimeInterval
    private var attachments: [ObjectIdentifier: any Sendable] = [:]

    public init(
        pfxFile: URL? = nil, pfxPassword: Secret? = nil, gateway: String? = nil, winePrefix: URL? = nil,
        registryFiles: [URL] = [], registryHive: String? = nil, tokenRequested: Bool = false,
        browsers: [String] = [], now: Date = Date(), language: Language = .en, pluginTimeout: TimeInterval = 10
    ) {
        self.pfxFile = pfxFile
        self.pfxPassword = pfxPassword
        self.gateway = gateway
        self.winePrefix = winePrefix
        self.registryFiles = registryFiles
        self.registryHive = registryHive
        self.tokenRequested = tokenRequested
        self.browsers = browsers
        self.now = now
        self.language = language
        self.pluginTimeout = pluginTimeout
    }

    public subscript<Key: EnvironmentKey>(key: Key.Type) -> Key.Value {
        get { attachments[ObjectIdentifier(key)] as? Key.Value ?? Key.defaultValue }
        set { attachments[ObjectIdentifier(key)] = newValue }
    }

    public func provides(_ facet: Facet) -> Bool {
        switch facet {
        case .fileCertificate: pfxFile != nil
        case .windowsSide: winePrefix != nil || !registryFiles.isEmpty
        case .winePrefix: winePrefix != nil
        case .token: tokenRequested
        case .host: true
        }
    }
}
