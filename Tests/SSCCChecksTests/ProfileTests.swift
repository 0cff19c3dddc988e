import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing

@Suite struct ProfileTests {
    let data = DataDirectory(root: CheckExampleTests.repository)

    func write(_ json: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: file)
        return file.path
    }

    @Test func shippedProfileLoadsWithAllNineErrorsAndTheManualsResolutions() throws {
        let (profile, _) = try ProfileLoader.load("sscc", dataDirectory: data)
        #expect(profile.knownErrors.map(\.id) == (1...9).map { "E\($0)" })
        #expect(profile.gatewayNumber.matches("F000504Y0007"))
        #expect(!profile.gatewayNumber.matches("F000504Y0007#0"))
        #expect(profile.fileCertificate.passwordIsValid("123456"))
        #expect(!profile.fileCertificate.passwordIsValid("12345"))
        #expect(!profile.fileCertificate.passwordIsValid("12345a"))
        let jitvctkex = try #require(profile.activeXControls.first { $0.check == "activex.jitvctkex" })
        #expect(jitvctkex.severity == .advisory && jitvctkex.version == "2.1.9.4" && jitvctkex.resolution != nil)
        #expect(profile.portal.typoHosts == ["biz.sccc.com"])
    }

    /// R14: the envelope's limits as the manual gives them, and OpenSSL's PBM defaults.
    @Test func shippedProfileCarriesTheEnvelopeRules() throws {
        let (profile, _) = try ProfileLoader.load("sscc", dataDirectory: data)
        let rules = try #require(profile.enrolment)
        #expect(rules.referenceIsValid(String(repeating: "A", count: 22)) && !rules.referenceIsValid(String(repeating: "A", count: 23)))
        #expect(rules.authorizationIsValid(String(repeating: "7", count: 16)) && !rules.authorizationIsValid(String(repeating: "7", count: 17)))
        #expect(!rules.referenceIsValid("") && !rules.authorizationIsValid("A B"))
        #expect(rules.envelopeValidityDays == 30 && rules.pbmOneWayFunction == "sha256" && rules.pbmMAC == "hmac-sha1")
        let broken = try write(try String(contentsOf: data.profiles.appendingPathComponent("sscc.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"^[A-Za-z0-9]{1,16}$\"", with: "\"^[A-Z\""))
        #expect {
            _ = try ProfileLoader.load(broken, dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.localizedMessage.en.contains("enrolment.authorizationPattern") == true
        }
    }

    @Test func syntaxErrorNamesFileAndLine() throws {
        let path = try write("{\n  \"schemaVersion\": 1,\n  \"name\": \n}")
        do {
            _ = try ProfileLoader.load(path, dataDirectory: data)
            Issue.record("a broken profile loaded")
        } catch {
            let text = error.localizedMessage.en
            #expect(text.contains(path))
            #expect(text.contains("line 4"), "\(text)")
            #expect(error.ending == .dataError)
        }
    }

    @Test func missingFieldIsNamed() throws {
        let shipped = try String(contentsOf: data.profiles.appendingPathComponent("sscc.json"), encoding: .utf8)
        let path = try write(shipped.replacingOccurrences(of: "\"passwordPattern\"", with: "\"passwordPatern\""))
        #expect {
            _ = try ProfileLoader.load(path, dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.localizedMessage.en.contains("fileCertificate.passwordPattern") == true
        }
    }

    @Test func badPatternAndMissingErrorsAreRejected() throws {
        let shipped = try String(contentsOf: data.profiles.appendingPathComponent("sscc.json"), encoding: .utf8)
        let badPattern = try write(shipped.replacingOccurrences(of: "\"^F[0-9]{6}[A-Z][0-9]{4}$\"", with: "\"^F[0-9\""))
        #expect(throws: ProfileLoader.Failure.self) { try ProfileLoader.load(badPattern, dataDirectory: data) }
        let renamedError = try write(shipped.replacingOccurrences(of: "\"id\": \"E9\"", with: "\"id\": \"E10\""))
        #expect(throws: ProfileLoader.Failure.self) { try ProfileLoader.load(renamedError, dataDirectory: data) }
    }

    /// Reports print the words of every requirement id a check cites, and take them from the profile alone.
    @Test func everyCitedRequirementHasItsTextInTheProfile() throws {
        let doctor = try Doctor(profile: "sscc", dataDirectory: data, pluginDirectories: [])
        let texts = Set(try #require(doctor.profile.manualRequirements).items.map(\.id))
        #expect(texts == Set((1...17).map { "R\($0)" } + (1...9).map { "E\($0)" }))
        let cited = Set(doctor.registry.checks.flatMap(\.description.requirements))
            .union(doctor.profile.knownErrors.flatMap(\.requirements))
        #expect(cited.count > 20, "the checks cite requirements: \(cited.sorted())")
        #expect(cited.subtracting(texts).isEmpty, "cited without a text: \(cited.subtracting(texts).sorted())")
    }

    /// A version-1 profile written before it listed requirement texts and the controls' requirement ids loads
    /// as before; its reports cite no texts.
    @Test func aProfileWithoutRequirementTextsStillLoads() throws {
        let shipped = try Data(contentsOf: data.profiles.appendingPathComponent("sscc.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: shipped) as? [String: Any])
        object["manualRequirements"] = nil
        let controls = try #require(object["activeXControls"] as? [[String: Any]])
        object["activeXControls"] = controls.map { control in control.filter { $0.key != "requirements" } }
        let older = try write(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        let (profile, _) = try ProfileLoader.load(older, dataDirectory: data)
        #expect(profile.manualRequirements == nil)
        #expect(profile.activeXControls.count == 3 && profile.activeXControls.allSatisfy { $0.requirements == nil })
        #expect(profile.reportReferences.requirements.isEmpty)
        #expect(profile.reportReferences.support?.phone == profile.support.phone)
    }

    @Test func aRequirementListedTwiceIsRejected() throws {
        let shipped = try String(contentsOf: data.profiles.appendingPathComponent("sscc.json"), encoding: .utf8)
        let edited = shipped.replacingOccurrences(of: "{ \"id\": \"R17\",", with: "{ \"id\": \"R16\",")
        #expect(edited != shipped)
        let twice = try write(edited)
        #expect {
            _ = try ProfileLoader.load(twice, dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.localizedMessage.en.contains("manualRequirements.items") == true
        }
    }

    @Test func unknownProfileIsNotFound() {
        #expect {
            _ = try ProfileLoader.load("nosuchprofile", dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.ending == .noInput
        }
    }

    @Test(arguments: [
        ("E5", "E5"), ("e3", "E3"), ("证书信息与CA系统不一致", "E5"), ("证书信息与 CA 系统不一致！", "E5"),
        ("未识别到旧证书信息", "E6"), ("Pfx 签名证书制作失败", "E8"), ("下载拦截", "E9"),
    ])
    func explainFindsTheError(query: String, expected: String) throws {
        let doctor = try Doctor(profile: "sscc", dataDirectory: data, pluginDirectories: [])
        let explainer = Explainer(profile: doctor.profile, registry: doctor.registry)
        guard case .knownErrors(let errors) = explainer.explain(query) else {
            Issue.record("no explanation for \(query)")
            return
        }
        #expect(errors.map(\.id).contains(expected))
    }

    @Test func explainACheckNamesTheErrorsBehindIt() throws {
        let doctor = try Doctor(profile: "sscc", dataDirectory: data, pluginDirectories: [])
        let explainer = Explainer(profile: doctor.profile, registry: doctor.registry)
        let explanation = try #require(explainer.explain("cert.pfx-name"))
        let text = explainer.render(explanation, language: .en)
        #expect(text.contains("E5"))
        #expect(text.contains("R15"))
        #expect(explainer.explain("no such thing") == nil)
    }

    @Test func everyErrorNamesAtLeastOneCheckThatExistsNow() throws {
        let doctor = try Doctor(profile: "sscc", dataDirectory: data, pluginDirectories: [])
        for error in doctor.profile.knownErrors {
            #expect(!error.checks.isEmpty, "\(error.id) names no check")
        }
        // E2, E4 and E5 are answered by the file-certificate checks already.
        for id in ["E2", "E4", "E5"] {
            let error = try #require(doctor.profile.knownErrors.first { $0.id == id })
            #expect(error.checks.contains { doctor.registry[$0] != nil }, "\(id)")
        }
    }
}

/// A profile read ahead (`ProfileLoader.prefetch`, which the commands start before parsing their arguments) is
/// what the first load of the same file answers, error included, and nothing else is. Serialized: the prefetch is
/// one per process; loads of other files, which other suites make meanwhile, leave it alone.
@Suite(.serialized) struct ProfilePrefetchTests {
    let data = DataDirectory(root: CheckExampleTests.repository)

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("prefetch-\(UUID().uuidString).json").path
    }

    func shippedProfile() throws -> Data {
        try Data(contentsOf: data.profiles.appendingPathComponent("sscc.json"))
    }

    @Test func theFirstLoadOfTheSameFileTakesWhatThePrefetchFoundAndOnlyIt() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Read ahead while the file is missing: the first load answers "not found" although the file is there by then.
        ProfileLoader.prefetch(path, dataDirectory: data).wait()
        try shippedProfile().write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try ProfileLoader.load(path, dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.ending == .noInput
        }
        // Taken once: the next load reads the file.
        let (profile, location) = try ProfileLoader.load(path, dataDirectory: data)
        #expect(profile.knownErrors.count == 9 && location.path == path)
    }

    @Test func aLoadOfAnotherFileReadsThatFileAndLeavesThePrefetchToItsOwn() throws {
        let prefetchedPath = temporaryPath(), otherPath = temporaryPath()
        defer { for path in [prefetchedPath, otherPath] { try? FileManager.default.removeItem(atPath: path) } }
        try shippedProfile().write(to: URL(fileURLWithPath: prefetchedPath))
        ProfileLoader.prefetch(prefetchedPath, dataDirectory: data).wait()
        let broken = Data("{ \"schemaVersion\": 1,\n \"name\": ".utf8)
        try broken.write(to: URL(fileURLWithPath: otherPath))
        try broken.write(to: URL(fileURLWithPath: prefetchedPath))
        // The other file is read: broken.
        #expect {
            _ = try ProfileLoader.load(otherPath, dataDirectory: data)
        } throws: { error in
            (error as? ProfileLoader.Failure)?.ending == .dataError
        }
        // The file read ahead answers as it was then, once; then as it is now.
        #expect(try ProfileLoader.load(prefetchedPath, dataDirectory: data).0.knownErrors.count == 9)
        #expect(throws: ProfileLoader.Failure.self) { _ = try ProfileLoader.load(prefetchedPath, dataDirectory: data) }
    }
}
