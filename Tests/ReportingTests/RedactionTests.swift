import CertDoctorCore
import Foundation
import Reporting
import Testing

@Suite struct RedactionTests {
    private func allFormats(_ options: ReportOptions) throws -> [String: String] {
        var outputs: [String: String] = [:]
        for identifier in ReporterRegistry.identifiers {
            let bytes = try ReporterRegistry.render(SampleReports.mixed(), as: identifier, options: options)
            outputs[identifier] = String(decoding: bytes, as: UTF8.self)
        }
        return outputs
    }

    @Test func secretsAndPersonalDataLeaveNoTraceInAnyFormat() throws {
        for (format, text) in try allFormats(SampleReports.options) {
            for canary in Canary.secrets + Canary.personal {
                #expect(!text.contains(canary), "\(format) leaks \(canary)")
            }
        }
    }

    @Test func secretsStayOutEvenWithoutRedaction() throws {
        var options = SampleReports.options
        options.redact = false
        for (format, text) in try allFormats(options) {
            for canary in Canary.secrets {
                #expect(!text.contains(canary), "\(format) leaks \(canary)")
            }
        }
        let xml = try #require(try allFormats(options)["xml"])
        for canary in Canary.personal {
            #expect(xml.contains(canary), "--no-redact keeps \(canary)")
        }
    }

    /// Secrets not handed over as options are still caught by their label or their shape.
    @Test func unlistedSecretsAreCaughtByLabelAndShape() throws {
        let options = ReportOptions(language: .en, redact: false, secrets: [])
        let xml = String(decoding: try XMLReporter.render(PreparedReport(SampleReports.mixed(), options: options)), as: UTF8.self)
        #expect(!xml.contains(Canary.password), "evidence named password")
        #expect(!xml.contains(Canary.pin), "pin: value in free text")
        #expect(!xml.contains(Canary.authorizationCode), "authorization code: value")
        #expect(!xml.contains(Canary.referenceCode), "参考号：value")
        #expect(!xml.contains(Canary.privateKeyBody), "PEM private key")
        #expect(xml.contains("[private key removed]"))
    }

    @Test func placeholdersAreConsistentWithinAReport() throws {
        let report = PreparedReport(SampleReports.mixed(), options: SampleReports.options).report
        let user = report.results[1].evidence.first { $0.name == "user" }?.value
        #expect(user == "<user-1>")
        // The same user in a path, a message, a target and a fix's journal entry.
        #expect(report.targets[0].location == "/home/<user-1>/certs/F000504Y0007#0.pfx")
        #expect(report.results[1].message.en.hasSuffix("(user <user-1>)"))
        #expect(report.fixes[0].journalEntry?.hasPrefix("/home/<user-1>/") == true)
        #expect(report.results[4].evidence[0].value == "/root/.wine/drive_c/users/<user-2>/Temp")
        // One serial, one placeholder, in evidence and in the certificate.
        let serial = report.results[0].evidence.first { $0.name == "serial" }?.value
        #expect(serial == "<serial-1>")
        #expect(report.results[0].certificates[0].serialNumber == "<serial-1>")
        #expect(report.host.hostName == "<host-1>")
        #expect(report.results[2].evidence.first { $0.name == "host" }?.value == "<host-1>")
        #expect(report.results[1].evidence.first { $0.name == "contact" }?.value == "<email-1>")
    }

    @Test func emailAddressesInFreeTextAreRedacted() throws {
        var report = SampleReports.mixed()
        report.results[0].message = Localized(verbatim: "mail to wang.wu@corp.example.com or Wang.Wu@corp.example.com")
        let prepared = PreparedReport(report, options: SampleReports.options).report
        // <email-1> is the contact in the sample's evidence; case does not make a new address.
        #expect(prepared.results[0].message.en == "mail to <email-2> or <email-2>")
    }
}

@Suite struct HomeDirectoryTests {
    @Test func homeDirectoriesInMessagesAreRedactedInEverySpelling() throws {
        var report = SampleReports.mixed()
        report.results[0].message = Localized(verbatim: #"/home/wangwu/a, C:\Users\wangwu\b, C:\\Users\\wangwu\\c, drive_c/users/wangwu/d, /root/x, C:\Users\Public\e"#)
        let prepared = PreparedReport(report, options: SampleReports.options).report
        #expect(prepared.results[0].message.en
            == #"/home/<user-3>/a, C:\Users\<user-3>\b, C:\\Users\\<user-3>\\c, drive_c/users/<user-3>/d, /root/x, C:\Users\Public\e"#)
    }
}
