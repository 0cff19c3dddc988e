import CertDoctorCore
import CertificateTarget
import Foundation
import TokenTarget
import Testing
import WindowsTarget

/// The target modules' facets: a run has one exactly when its option was given, and the reason a check is not
/// applicable names that option.
@Suite struct FacetTests {
    @Test func eachFacetIsPresentWithItsTargetAndNamesItsOptionWhenAbsent() {
        let bare = Environment.targets()
        let cases: [(Facet, Environment, String)] = [
            (.fileCertificate, .targets(pfxFile: URL(fileURLWithPath: "/srv/F000504Y0007#0.pfx")), "--pfx"),
            (.windowsSide, .targets(registryFiles: [URL(fileURLWithPath: "/srv/user.reg")]), "--registry"),
            (.windowsSide, .targets(winePrefix: URL(fileURLWithPath: "/srv/prefix")), "--wine-prefix"),
            (.winePrefix, .targets(winePrefix: URL(fileURLWithPath: "/srv/prefix")), "--wine-prefix"),
            (.token, .targets(tokenRequested: true), "--token"),
        ]
        for (facet, given, option) in cases {
            #expect(!bare.provides(facet), "\(facet) without its target")
            #expect(given.provides(facet), "\(facet) with \(option)")
            #expect(facet.missingReason.en.contains(option) && facet.missingReason.zh.contains(option), "\(facet)")
        }
        #expect(!Environment.targets(registryFiles: [URL(fileURLWithPath: "/srv/user.reg")]).provides(.winePrefix))
        #expect(bare.provides(.host))
    }

    @Test func pluginsHearOfTheTargetsAndOfNothingInherited() {
        let base = ["CERTDOCTOR_PFX": "/inherited.pfx", "CERTDOCTOR_TOKEN": "1", "PATH": "/usr/bin"]
        let passed = ExternalPlugin.pluginEnvironment(
            .targets(pfxFile: URL(fileURLWithPath: "/srv/F000504Y0007#0.pfx"), pfxPassword: Secret("123456"), gateway: "F000504Y0007",
                     registryFiles: [URL(fileURLWithPath: "/a.reg"), URL(fileURLWithPath: "/b.reg")]),
            base: base)
        #expect(passed["CERTDOCTOR_PFX"] == "/srv/F000504Y0007#0.pfx")
        #expect(passed["CERTDOCTOR_GATEWAY"] == "F000504Y0007")
        #expect(passed["CERTDOCTOR_REGISTRY_FILES"] == "/a.reg:/b.reg")
        #expect(passed["CERTDOCTOR_TOKEN"] == nil, "no --token: the inherited variable is removed")
        #expect(passed["CERTDOCTOR_WINE_PREFIX"] == nil)
        #expect(!passed.values.contains("123456"))
    }
}
