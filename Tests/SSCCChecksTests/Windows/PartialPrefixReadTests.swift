import CertDoctorCore
import Foundation
import SSCCChecks
import Testing
import TestSupport
@testable import WindowsRegistry
@testable import WindowsTarget

/// A Wine prefix is read in part for a check run (`PrefixHives`): what every Windows-side check reports, and
/// every fix it would plan, must be what the whole registry gives, on a prefix Wine made, one with a control's
/// residue, one whose user.reg is mostly keys no check reads, and one with a link out of the part read.
@Suite(.serialized) struct PartialPrefixReadTests {
    static let clsid = "{33BBBFD1-0A97-4339-9032-F68F19CB3030}"

    /// Each check's outcome, message, evidence and fixability, and the steps of the plan for each failure.
    static func report(_ prefix: URL, side: WindowsSide?) throws -> [String] {
        let doctor = try WindowsCheckExampleTests.doctor()
        let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
        let context = CheckContext(environment: doctor.prepare(Environment.targets(winePrefix: prefix, language: .en)))
        if let side { _ = try context.loads.value(of: WindowsSide.self) { side } }
        var lines: [String] = []
        for result in try Runner().run(registry, in: context).sorted(by: { $0.id < $1.id }) {
            lines.append("\(result.id) \(result.outcome) \(result.message.en) \(result.evidence.map { "\($0)" }) fixable \(result.fixable)")
            guard result.outcome == .fail, let check = registry[result.id] else { continue }
            let finding = Finding(result.outcome, result.message, evidence: result.evidence, remedy: result.remedy)
            let plan = try check.planFix(for: finding, in: context)
            lines += plan?.steps.map { "  " + $0.description.en } ?? ["  no plan"]
        }
        return lines
    }

    static func expectSameReport(_ prefix: URL, partial expectPartial: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let side = try WindowsSide.loadPrefix(prefix)
        #expect((side.hives != nil) == expectPartial, sourceLocation: sourceLocation)
        let whole = WindowsSide(kind: .winePrefix(prefix), snapshot: try WinePrefix(directory: prefix).load().snapshot)
        let partial = try report(prefix, side: nil)
        let full = try report(prefix, side: whole)
        #expect(partial.count > 5, sourceLocation: sourceLocation)
        #expect(partial == full, "\(zip(partial, full).filter { $0 != $1 })", sourceLocation: sourceLocation)
    }

    @Test func aPrefixWineMadeReportsAsTheWholeRegistryDoes() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            try Self.expectSameReport(prefix, partial: true)
            // Wine links Wow6432Node keys out of the subtrees (Software\Registered Applications): the second round
            // reads their targets in the hive they point into, and the merged trees are what one read of all of it
            // gives.
            let hives = try PrefixHives(prefix: WinePrefix(directory: prefix))
            let filtered = try #require(hives.filtered)
            let links = try #require(PrefixHives.links(filtered))
            #expect(links.contains { $0.intoMachine && !PrefixHives.covers($0.target) })
            for (file, root, intoMachine) in [("system.reg", filtered.system.root, true), ("user.reg", filtered.user.root, false)] {
                // Targets in a branch left out are not read (a lookup through their links reads everything).
                let targets = links.filter { $0.intoMachine == intoMachine }.map(\.target).filter { !PrefixHives.isBelowAny($0, PrefixHives.excluded) }
                let once = try WineHiveCodec.decode(
                    try Data(contentsOf: prefix.appendingPathComponent(file)), fileName: file, onlyBelowAny: PrefixHives.subtrees + targets,
                    excluding: PrefixHives.excluded)
                #expect(root == once.root, "\(file)")
            }
        }
    }

    /// Below `CLSID` only the profile's controls are read. The branch's own key is there as in the whole tree:
    /// a control registered in the 64-bit view only is not seen by 32-bit IE, as `Software\\Classes\\Wow6432Node\\CLSID`
    /// (Wine's own 32-bit classes) takes the lookup, however few of its keys were read. Another class is looked
    /// up in the whole registry.
    @Test func belowCLSIDOnlyTheControlsAreReadAndLookupsAgree() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            let systemFile = prefix.appendingPathComponent("system.reg")
            var hive = try WineHiveCodec.decode(try Array(Data(contentsOf: systemFile)), fileName: systemFile.path)
            hive.root.withKey(creating: ["Software", "Classes", "CLSID", Self.clsid, "InprocServer32"][...]) {
                $0.setValue(RegistryValue(name: "", string: "C:\\windows\\system32\\xenroll.dll"))
            }
            try Data(WineHiveCodec.encode(hive)).write(to: systemFile)
            try Self.expectSameReport(prefix, partial: true)
            let side = try WindowsSide.loadPrefix(prefix, classIDs: [Self.clsid])
            let hives = try #require(side.hives)
            let whole = WindowsSide(kind: .winePrefix(prefix), snapshot: try WinePrefix(directory: prefix).load().snapshot)
            let classPath = "Software\\Classes\\CLSID\\\(Self.clsid)"
            #expect(side.snapshot.localMachine.key(at: classPath + "\\InprocServer32") != nil)
            #expect(whole.machineKey(classPath, view: .bit64) != nil && whole.machineKey(classPath, view: .bit32) == nil)
            for view in [WindowsSide.View.bit32, .bit64] {
                #expect(side.machineKey(classPath, view: view) == whole.machineKey(classPath, view: view), "\(view)")
                #expect(side.machinePath(classPath, view: view) == whole.machinePath(classPath, view: view), "\(view)")
            }
            #expect(side.onlyIn64BitView(classPath) == whole.onlyIn64BitView(classPath))
            let other = "Software\\Classes\\CLSID\\{083863F1-70DE-11D0-BD40-00A0C911CE86}"
            #expect(side.snapshot.localMachine.key(at: other) == nil, "left out")
            #expect(!hives.covers(RegistryKey.components(of: other)) && hives.covers(RegistryKey.components(of: classPath)))
            #expect(side.machineKey(other, view: .bit32) != nil)
            #expect(side.machineKey(other, view: .bit32) == whole.machineKey(other, view: .bit32))
        }
    }

    /// The COM interfaces are left out of the part read; a lookup there, also through Wine's link from
    /// `Software\Wow6432Node\Classes` to `Software\Classes\Wow6432Node`, is answered from the whole registry.
    @Test func aLookupInABranchLeftOutReadsTheWholeRegistry() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            let side = try WindowsSide.loadPrefix(prefix)
            let hives = try #require(side.hives)
            let whole = WindowsSide(kind: .winePrefix(prefix), snapshot: try WinePrefix(directory: prefix).load().snapshot)
            let unknown = "{00000000-0000-0000-C000-000000000046}"
            for branch in ["Software\\Classes\\Interface", "Software\\Classes\\Wow6432Node\\Interface"] {
                #expect(side.snapshot.localMachine.key(at: branch)?.subkeys.isEmpty == true, "the key is there, what is below it left out")
                #expect(whole.snapshot.localMachine.key(at: branch)?.subkeys.isEmpty == false)
            }
            #expect(side.snapshot.localMachine.key(at: "Software\\Classes\\CLSID") != nil)
            #expect(hives.covers(["Software", "Classes", "CLSID"]))
            // Time zones: left out, and so is Wine's link to them from `Windows\CurrentVersion` (its target not read).
            for path in ["Software\\Classes\\Interface\\\(unknown)", "Software\\Classes\\Wow6432Node\\Interface\\\(unknown)",
                         "Software\\Wow6432Node\\Classes\\Interface\\\(unknown)",
                         "Software\\Microsoft\\Windows NT\\CurrentVersion\\Time Zones\\China Standard Time",
                         "Software\\Microsoft\\Windows\\CurrentVersion\\Time Zones\\China Standard Time"] {
                #expect(!hives.covers(RegistryKey.components(of: path)), "\(path)")
                for view in [WindowsSide.View.bit32, .bit64] {
                    let found = side.machineKey(path, view: view)
                    #expect(found != nil, "\(path)")
                    #expect(found == whole.machineKey(path, view: view), "\(path)")
                }
            }
        }
    }

    @Test func aControlsResidueIsFoundAsInTheWholeRegistry() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            try WineTestPrefix.windows.importFiles([WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/activex/prefix-certenroll-half/register.reg")])
            try Self.expectSameReport(prefix, partial: true)
            let side = try WindowsSide.loadPrefix(prefix)
            let whole = WindowsSide(kind: .winePrefix(prefix), snapshot: try WinePrefix(directory: prefix).load().snapshot)
            let found = try PluginResidue.find(Self.clsid, in: side)
            #expect(!found.items.isEmpty)
            #expect(found.items == (try PluginResidue.find(Self.clsid, in: whole)).items)
        }
    }

    /// Keys no check reads (as in the benchmark's scaled hive) are not in the part read, and change nothing.
    @Test func keysNoCheckReadsAreLeftUnreadAndChangeNothing() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            let userFile = prefix.appendingPathComponent("user.reg")
            var hive = try WineHiveCodec.decode(try Array(Data(contentsOf: userFile)), fileName: userFile.path)
            for index in 0..<50 {
                hive.root.withKey(creating: ["Software", "Bench\(index)", "Deeper"][...]) { key in
                    key.setValue(RegistryValue(name: "mentions", string: "not the class id"))
                }
            }
            try Data(WineHiveCodec.encode(hive)).write(to: userFile)
            try Self.expectSameReport(prefix, partial: true)
            let side = try WindowsSide.loadPrefix(prefix)
            #expect(side.user.key(at: "Software\\Bench1") == nil)
            #expect(try WinePrefix(directory: prefix).load().user.root.key(at: "Software\\Bench1") != nil)
        }
    }

    /// A link in the part read whose target is outside it: the target is read too (HKLM), or, where a partial
    /// read cannot follow it (another user's tree), the whole registry is read.
    @Test(arguments: [("\\REGISTRY\\Machine\\System\\CertDoctorTarget", true), ("\\REGISTRY\\User\\.Default\\CertDoctorTarget", false),
                      ("\\REGISTRY\\User\\S-1-5-21-0-0-0-1000\\System\\CertDoctorTarget", true)])
    func aLinkOutOfThePartReadIsFollowed(target: String, partial: Bool) throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            let systemFile = prefix.appendingPathComponent("system.reg")
            var hive = try WineHiveCodec.decode(try Array(Data(contentsOf: systemFile)), fileName: systemFile.path)
            // IE's zone mappings as a link: the trusted-site check reads through it.
            let domains = ["Software", "Microsoft", "Windows", "CurrentVersion", "Internet Settings", "ZoneMap", "Domains"]
            hive.root.withKey(creating: domains[...]) { key in
                key.isSymbolicLink = true
                key.setValue(RegistryValue(name: "SymbolicLinkValue", type: .link, data: target.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }))
            }
            hive.root.withKey(creating: ["System", "CertDoctorTarget", "sscc.com.cn"][...]) { $0.setValue(RegistryValue(name: "https", dword: 2)) }
            try Data(WineHiveCodec.encode(hive)).write(to: systemFile)
            // The same key in user.reg, where only a link into the user's own tree would lead: the target is read
            // in the hive the link points into, so this one must not answer.
            let userFile = prefix.appendingPathComponent("user.reg")
            var userHive = try WineHiveCodec.decode(try Array(Data(contentsOf: userFile)), fileName: userFile.path)
            userHive.root.withKey(creating: ["System", "CertDoctorTarget", "sscc.com.cn"][...]) { $0.setValue(RegistryValue(name: "https", dword: 4)) }
            try Data(WineHiveCodec.encode(userHive)).write(to: userFile)
            try Self.expectSameReport(prefix, partial: partial)
            if partial {
                let side = try WindowsSide.loadPrefix(prefix)
                let intoUser = target.contains("S-1-5-21")
                #expect((side.machine.key(at: "System\\CertDoctorTarget\\sscc.com.cn") != nil) == !intoUser)
                #expect((side.user.key(at: "System\\CertDoctorTarget\\sscc.com.cn") != nil) == intoUser)
            }
        }
    }

    /// A manifest setting outside the part read is read from the whole registry.
    @Test func aSettingOutsideThePartReadIsReadWhole() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (apt-get install wine wine64)")
        try WineTestPrefix.windows.withPrefix { prefix in
            let systemFile = prefix.appendingPathComponent("system.reg")
            var hive = try WineHiveCodec.decode(try Array(Data(contentsOf: systemFile)), fileName: systemFile.path)
            hive.root.withKey(creating: ["Software", "Vendor", "Gateway"][...]) { $0.setValue(RegistryValue(name: "Enabled", dword: 7)) }
            try Data(WineHiveCodec.encode(hive)).write(to: systemFile)
            let side = try WindowsSide.loadPrefix(prefix)
            #expect(side.snapshot.localMachine.key(at: "Software\\Vendor") == nil, "not in the part read")
            #expect(side.machineKey("Software\\Vendor\\Gateway", view: .bit64)?.value(named: "Enabled")?.dwordValue == 7)
            let reading = try side.reading(["Software\\Vendor\\Gateway"])
            #expect(reading.hives == nil && reading.machine.key(at: "Software\\Vendor\\Gateway") != nil)
            #expect(try side.reading([InternetZoneSettings.settingsPath]).hives != nil)
        }
    }
}
