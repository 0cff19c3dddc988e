import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// R7, E3: a driver for the token is on the host: an IFD driver bundle whose Info.plist lists the token's USB
/// id, and/or the vendor's PKCS#11 module loading. A module of another vendor configured for the token is E3's
/// "wrong driver" (a Mingwah driver for a Feitian token).
struct TokenDriverCheck: Check {
    static let description = CheckDescription(
        id: "driver.token",
        title: Localized(zh: "硬证书驱动", en: "Token driver"),
        summary: Localized(
            zh: "存在列出该令牌 USB ID 的读卡器驱动包，或厂商的 PKCS#11 模块可以加载；配置了其他厂商的模块时报告“驱动厂商不符”。",
            en: "A reader driver bundle lists the token's USB id, or the vendor's PKCS#11 module loads; a module of another vendor configured for the token is reported as the wrong driver."),
        requirements: ["R7", "E3"],
        category: "token",
        severity: .required,
        facets: [.token],
        fix: Localized(
            zh: "写入 Firefox 的 SecurityDevices 策略，加载厂商的 PKCS#11 模块。",
            en: "Writes a Firefox SecurityDevices policy that loads the vendor's PKCS#11 module."),
        examples: [
            TokenScenario.example("one-token", expect: .pass, "the configured module loads"),
            TokenScenario.example("vendor-bundle", expect: .pass, "an IFD bundle lists 096E:0703"),
            TokenScenario.example("no-driver", expect: .fail),
            TokenScenario.example("wrong-vendor", expect: .fail, "another vendor's module (E3)"),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let options = context.environment.tokenOptions
        let database = try TokenFacts.database(context)
        var evidence: [Evidence] = []

        let scan = IFDDriverScan.scan(directory: options.driversDirectory)
        let usbIDs = database.models.flatMap(\.usbDevices)
        let bundles = scan.bundles(supporting: usbIDs)
        evidence.append(Evidence("driverBundles", bundles.isEmpty ? "none for \(usbIDs.map(\.description).joined(separator: ", "))"
            : bundles.map(\.path).joined(separator: ", "), kind: .path))
        for failure in scan.failures {
            evidence.append(Evidence("unreadableBundle", failure.errorDescription ?? "\(failure)", kind: .path))
        }

        let probe = ModuleProbe.run(options: options, database: database)
        evidence += probe.evidence
        if let foreign = probe.foreign {
            return .fail(
                Localized(
                    zh: "为令牌配置的是 \(foreign.vendor) 的 PKCS#11 模块，不是 \(foreign.tokenVendor) 的驱动（E3）",
                    en: "the PKCS#11 module configured for the token is \(foreign.vendor)'s, not \(foreign.tokenVendor)'s driver (E3)"),
                evidence: evidence, remedy: Messages.wrongVendor)
        }
        if let loaded = probe.loaded {
            return .pass(
                Localized(zh: "PKCS#11 模块可加载：\(loaded)", en: "the PKCS#11 module loads: \(loaded)"), evidence: evidence)
        }
        if let bundle = bundles.first {
            return .pass(
                Localized(zh: "读卡器驱动包支持该令牌：\(bundle.path)", en: "a reader driver bundle supports the token: \(bundle.path)"),
                evidence: evidence)
        }
        return .fail(
            Localized(zh: "未找到该令牌的驱动（R7）", en: "no driver for the token was found (R7)"),
            evidence: evidence, remedy: Messages.install(database))
    }

    /// Points Firefox at the vendor's module (replacing another vendor's), when the vendor's module is installed.
    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        guard finding.outcome == .fail else { return nil }
        let options = context.environment.tokenOptions
        let database = try TokenFacts.database(context)
        guard let (model, module) = ModuleProbe.installedVendorModule(database) else { return nil }
        let policyFile = options.firefoxPolicyFile
        let existing = FileManager.default.contents(atPath: policyFile.path)
        let foreign = FirefoxSecurityDevices.modules(in: existing).filter { _, path in
            database.models.contains { $0.foreignModule(path: path) != nil }
        }
        let bytes = try FirefoxSecurityDevices.policy(adding: model.name, module: module, removing: Set(foreign.keys), to: existing)
        return FixPlan(
            checkID: Self.description.id,
            summary: Localized(zh: "让 Firefox 加载 \(model.name) 的 PKCS#11 模块", en: "make Firefox load the \(model.name) PKCS#11 module"),
            steps: [
                FixStep(
                    description: Localized(verbatim: "\(policyFile.path): SecurityDevices.Add[\"\(model.name)\"] = \(module)"),
                    touches: [policyFile]) { writer in
                        // Firefox runs as the user and must be able to read a policy root wrote.
                        try writer.replace(policyFile, with: bytes, newFileMode: 0o644)
                    },
            ],
            afterword: Localized(zh: "请关闭并重新打开 Firefox（R6）。", en: "Close and reopen Firefox (R6)."))
    }
}

/// Loads the configured module, or the vendor's modules found at the database's paths, and says what they are.
struct ModuleProbe {
    struct Foreign {
        var vendor: String
        var tokenVendor: String
    }

    var evidence: [Evidence] = []
    var loaded: String?
    var foreign: Foreign?

    /// The module the token checks read the token with: the first candidate; nil when there is none.
    static func tokenModule(_ context: CheckContext) throws -> String? {
        candidates(options: context.environment.tokenOptions, database: try TokenFacts.database(context)).first?.path
    }

    /// Without a module nothing on the token can be read, so nothing passes or fails.
    static let noTokenModule = Finding(.error, Localized(
        zh: "没有可用于读取令牌的 PKCS#11 模块（--pkcs11-module）", en: "no PKCS#11 module to read the token with (--pkcs11-module)"))

    static func candidates(options: TokenOptions, database: TokenDatabase) -> [(path: String, configured: Bool)] {
        if let configured = options.pkcs11Module { return [(configured, true)] }
        // A module Firefox is told to load is configured for the token as much as --pkcs11-module is.
        let policy = FileManager.default.contents(atPath: options.firefoxPolicyFile.path)
        let firefox = FirefoxSecurityDevices.modules(in: policy).values.sorted()
        if let foreign = firefox.first(where: { path in database.models.contains { $0.foreignModule(path: path) != nil } }) {
            return [(foreign, true)]
        }
        return database.models.flatMap(\.modules).flatMap(\.paths)
            .filter { FileManager.default.fileExists(atPath: $0) }.map { ($0, false) }
    }

    static func installedVendorModule(_ database: TokenDatabase) -> (TokenModel, String)? {
        for model in database.models {
            for module in model.modules {
                if let path = module.paths.first(where: { FileManager.default.fileExists(atPath: $0) }) { return (model, path) }
            }
        }
        return nil
    }

    static func run(options: TokenOptions, database: TokenDatabase) -> ModuleProbe {
        var probe = ModuleProbe()
        let candidates = candidates(options: options, database: database)
        if candidates.isEmpty {
            probe.evidence.append(Evidence("pkcs11Module", "none configured or found at the vendor's paths"))
        }
        for candidate in candidates {
            probe.evidence.append(Evidence("pkcs11Module", candidate.path, kind: .path))
            if let foreign = database.models.lazy.compactMap({ model in model.foreignModule(path: candidate.path).map { ($0, model) } }).first {
                probe.foreign = Foreign(vendor: foreign.0.vendor, tokenVendor: foreign.1.vendor)
            }
            do {
                let module = try PKCS11Module(path: candidate.path)
                let info = try module.info()
                probe.evidence += [
                    Evidence("manufacturer", info.manufacturer), Evidence("library", info.libraryDescription + " " + info.libraryVersion),
                    Evidence("cryptoki", info.cryptokiVersion),
                ]
                if probe.foreign == nil, let match = database.models.lazy.compactMap({ model in
                    model.foreignModule(path: candidate.path, manufacturer: info.manufacturer).map { ($0, model) }
                }).first {
                    probe.foreign = Foreign(vendor: match.0.vendor, tokenVendor: match.1.vendor)
                }
                if probe.foreign == nil { probe.loaded = "\(candidate.path) (\(info.manufacturer))" }
            } catch {
                probe.evidence.append(Evidence("loadError", error.errorDescription ?? "\(error)"))
            }
            if probe.loaded != nil || probe.foreign != nil { break }
        }
        return probe
    }
}

/// Firefox's enterprise policy `SecurityDevices` (policies.json): `{"policies": {"SecurityDevices": {"Add": {name: path}}}}`.
enum FirefoxSecurityDevices {
    /// The modules a policy file loads, by name: the `Add` form (Firefox 114+) and the older flat form.
    static func modules(in data: Data?) -> [String: String] {
        guard let data, let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let devices = (root["policies"] as? [String: Any])?["SecurityDevices"] as? [String: Any]
        else { return [:] }
        var modules: [String: String] = [:]
        for (name, value) in devices {
            if name == "Add", let added = value as? [String: String] {
                modules.merge(added) { _, new in new }
            } else if let path = value as? String {
                modules[name] = path
            }
        }
        return modules
    }

    /// The policy with `module` added under `name` and the entries in `removing` (another vendor's) taken out.
    static func policy(adding name: String, module: String, removing: Set<String> = [], to existing: Data?) throws -> [UInt8] {
        var root: [String: Any] = [:]
        if let existing, !existing.isEmpty {
            guard let parsed = try JSONSerialization.jsonObject(with: existing) as? [String: Any] else {
                throw FixFailure.commandFailed("policies.json", "the existing file is not a JSON object")
            }
            root = parsed
        }
        var policies = root["policies"] as? [String: Any] ?? [:]
        var devices = policies["SecurityDevices"] as? [String: Any] ?? [:]
        var add = devices["Add"] as? [String: Any] ?? [:]
        for entry in removing {
            add[entry] = nil
            devices[entry] = nil
        }
        add[name] = module
        devices["Add"] = add
        if !removing.isEmpty {
            // Firefox only unloads a module named in Delete; leaving it out of Add is not enough.
            let deleted = (devices["Delete"] as? [String] ?? []) + removing.sorted()
            devices["Delete"] = Array(Set(deleted)).sorted()
        }
        policies["SecurityDevices"] = devices
        root["policies"] = policies
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return Array(data) + [0x0A]
    }
}

extension TokenDriverCheck {
    enum Messages {
        static let wrongVendor = Localized(
            zh: "卸载其他厂商的驱动，安装飞天 ePass3003 驱动（门户下载区 → 交易结算业务 → 程序下载 → Ekey 驱动程序），并在 --pkcs11-module 或浏览器中改用其 PKCS#11 模块。",
            en: "Remove the other vendor's driver, install the Feitian ePass3003 driver (portal download area → 交易结算业务 → 程序下载 → Ekey 驱动程序), and configure its PKCS#11 module (--pkcs11-module, the browser) instead.")

        static func install(_ database: TokenDatabase) -> Localized {
            let files = database.models.flatMap(\.modules).map(\.fileName).joined(separator: ", ")
            return Localized(
                zh: "从门户下载区安装飞天 Ekey 驱动程序（提供 \(files)）；PC/SC 服务：sudo apt-get install -y pcscd libccid。",
                en: "Install the Feitian Ekey driver from the portal's download area (it provides \(files)); for the PC/SC service: sudo apt-get install -y pcscd libccid.")
        }
    }
}
