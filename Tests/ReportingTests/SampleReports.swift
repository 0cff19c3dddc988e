import CertDoctorCore
import Foundation
import Reporting

/// Values that must never appear in any output (secrets) or only when `--no-redact` is given
/// (personal data). Distinctive strings, so a plain substring search finds every leak.
enum Canary {
    static let password = "CanaryPfx734"
    static let pin = "CanaryPin9921"
    static let authorizationCode = "CanaryAuth55AA"
    static let referenceCode = "CanaryRef0042XY"
    static let privateKeyBody = "MIIEvCanaryPrivateKeyBodyQ"
    static let secrets = [password, pin, authorizationCode, referenceCode, privateKeyBody]

    static let user = "liwei-canary"
    static let otherUser = "zhangsan-canary"
    static let host = "gw-canary-07.example.cn"
    static let email = "ops.canary@broker.example.cn"
    static let serial = "5A3C9E0011CANARY"
    static let personal = [user, otherUser, host, email, serial]
}

enum SampleReports {
    static let started = Date(timeIntervalSince1970: 1_790_000_000)

    static func description(_ id: String, category: String, severity: Severity = .required, requirements: [String])
        -> CheckDescription
    {
        CheckDescription(
            id: id,
            title: Localized(zh: "检查 \(id)", en: "Check \(id)"),
            summary: Localized(verbatim: id),
            requirements: requirements, category: category, severity: severity)
    }

    /// A run with every outcome, personal data and secrets in the places they tend to leak.
    static func mixed() -> RunReport {
        let home = "/home/\(Canary.user)"
        let results = [
            CheckResult(
                description: description("cert.pfx-name", category: "certificate", requirements: ["R15", "E5"]),
                finding: Finding(
                    .pass, Localized(zh: "文件名 F000504Y0007#0.pfx 符合规则", en: "file name F000504Y0007#0.pfx follows the rule"),
                    evidence: [
                        Evidence("file", "\(home)/certs/F000504Y0007#0.pfx", kind: .path),
                        Evidence("serial", Canary.serial, kind: .serialNumber),
                        Evidence("password", Canary.password),
                    ],
                    certificates: [CertificateObservation(
                        subjectCommonName: "F000504Y0007", issuerCommonName: "SSCC CA",
                        serialNumber: Canary.serial, notBefore: 1_760_000_000, notAfter: 1_792_000_000,
                        filePath: "\(home)/certs/F000504Y0007#0.pfx")]),
                durationSeconds: 0.012),
            CheckResult(
                description: description("browser.trusted-site", category: "browser", requirements: ["R2"]),
                finding: Finding(
                    .fail,
                    Localized(zh: "https://biz.sscc.com 不在受信任站点中（用户 \(Canary.user)）",
                              en: "https://biz.sscc.com is not a trusted site (user \(Canary.user))"),
                    evidence: [
                        Evidence("key", #"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings\ZoneMap"#),
                        Evidence("user", Canary.user, kind: .userName),
                        Evidence("contact", Canary.email, kind: .email),
                        Evidence("note", "operator wrote pin: \(Canary.pin) & <b>bold</b>"),
                    ],
                    remedy: Localized(zh: "运行 certdoctor fix 将门户加入区域 2", en: "run certdoctor fix to put the portal in zone 2")),
                durationSeconds: 0.004),
            CheckResult(
                description: description("token.single", category: "token", requirements: ["R11", "E3"]),
                finding: Finding(
                    .error, Localized(zh: "pcscd 无响应", en: "pcscd did not answer"),
                    evidence: [
                        Evidence("socket", "/run/pcscd/pcscd.comm", kind: .path),
                        Evidence("host", Canary.host, kind: .hostName),
                        Evidence("dump", "-----BEGIN PRIVATE KEY-----\n\(Canary.privateKeyBody)\n-----END PRIVATE KEY-----"),
                    ],
                    remedy: Localized(zh: "启动 pcscd 后重试", en: "start pcscd and try again")),
                durationSeconds: 5),
            CheckResult(
                description: description("browser.edge-ie-mode", category: "browser", severity: .advisory, requirements: ["R4", "R5"]),
                finding: .notApplicable(Localized(zh: "未指定 Windows 环境", en: "no Windows side given")),
                durationSeconds: 0),
            CheckResult(
                description: description("plugin.certenroll-version", category: "plugin", requirements: ["R9", "E8"]),
                finding: Finding(
                    .fixed, Localized(zh: "CertEnroll Control 已设为 2.0.4.8", en: "CertEnroll Control set to 2.0.4.8"),
                    evidence: [Evidence("wine prefix", "/root/.wine/drive_c/users/\(Canary.otherUser)/Temp", kind: .path)]),
                durationSeconds: 0.2),
            CheckResult(
                description: description("token.driver", category: "token", requirements: ["R7"]),
                finding: Finding(.notchecked, Localized(
                    zh: "依赖的检查项 token.single 结果为 error", en: "depends on token.single, which is error")),
                durationSeconds: 0),
            CheckResult(
                description: description("host.openssl", category: "host", severity: .advisory, requirements: []),
                finding: Finding(.informational, Localized(
                    zh: "OpenSSL 3.0.19；授权码：\(Canary.authorizationCode)",
                    en: "OpenSSL 3.0.19; authorization code: \(Canary.authorizationCode)")),
                durationSeconds: 0.001),
        ]
        var report = RunReport(
            version: "0.1.0", profile: "sscc", language: .zh, started: started,
            finished: started.addingTimeInterval(5.3),
            host: HostFacts(
                operatingSystem: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-18-amd64", hostName: Canary.host,
                versions: ["wine": "wine-8.0", "wine-prefix-arch": "win64", "pcsc-lite": "1.9.9", "openssl": "3.0.19"]),
            targets: [
                RunReport.Target(kind: "pfx", location: "\(home)/certs/F000504Y0007#0.pfx"),
                RunReport.Target(kind: "wine-prefix", location: "\(home)/.wine"),
            ],
            scope: RunReport.Scope(
                examined: [
                    .init(id: "pfx", title: Localized(zh: "文件证书", en: "file certificate"), location: "\(home)/certs/F000504Y0007#0.pfx",
                          checks: ["cert.pfx-name"]),
                    .init(id: "windows", title: Localized(zh: "Windows 环境", en: "Windows side"), location: "Wine prefix \(home)/.wine",
                          checks: ["browser.trusted-site", "browser.edge-ie-mode", "plugin.certenroll-version"]),
                    .init(id: "host", title: Localized(zh: "本机", en: "host"), checks: ["host.openssl"]),
                ],
                notExamined: [.init(id: "token", title: Localized(zh: "USB Key", en: "token"), hint: Localized(zh: "加 --token", en: "add --token"),
                                    checks: ["token.single", "token.driver"])],
                subject: Localized(zh: "文件证书 F000504Y0007", en: "the file certificate F000504Y0007"), subjectExamined: true),
            results: results,
            fixes: [RunReport.FixRecord(
                checkID: "plugin.certenroll-version",
                summary: Localized(zh: "设置 CertEnroll Control 版本", en: "Set the CertEnroll Control version"),
                changes: [RunReport.Change(
                    Localized(verbatim: #"HKLM\Software\Classes\CLSID\{33BBBFD1-0A97-4339-9032-F68F19CB3030}\InstalledVersion"#),
                    before: "2,0,3,1", after: "2,0,4,8")],
                applied: true, outcome: .fixed, journalEntry: "\(home)/.local/state/certdoctor/journal/20260101-1")],
            procedure: [RunReport.ProcedureStep(
                name: "request", outcome: "wait",
                detail: Localized(zh: "参考号：\(Canary.referenceCode)", en: "reference code: \(Canary.referenceCode)"),
                time: started.addingTimeInterval(5))])
        report.references = references
        report.scope.subjectName = "F000504Y0007"
        report.commandLine = "certdoctor check --pfx '\(home)/certs/F000504Y0007#0.pfx' --password-file pw --wine-prefix \(home)/.wine"
        return report
    }

    /// What a profile gives a report to cite: a requirement text the results link to, and a support line.
    static let references = RunReport.References(
        requirementsTitle: Localized(zh: "深证通操作手册要求", en: "Requirements of the SSCC manual"),
        requirements: [
            .init(id: "R2", text: Localized(zh: "一、(一) 将 https://biz.sscc.com 加入受信任站点", en: "1.(1) Add https://biz.sscc.com to Trusted sites")),
            .init(id: "R7", text: Localized(zh: "一、(一) 安装飞天 Ekey 驱动程序", en: "1.(1) Install the Feitian Ekey driver")),
        ],
        support: .init(phone: "0755-83183333", label: Localized(zh: "深证通客服电话（R16）", en: "SSCC support line (R16)")))

    static let options = ReportOptions(
        language: .zh, redact: true,
        secrets: [Secret(Canary.password), Secret(Canary.pin), Secret(Canary.authorizationCode), Secret(Canary.referenceCode)])

    /// `count` generated checks cycling through every outcome, for the size benchmark and tests.
    static func large(_ count: Int) -> RunReport {
        let outcomes = Outcome.allCases
        let results = (0..<count).map { index in
            let outcome = outcomes[index % outcomes.count]
            return CheckResult(
                description: description("generated.check-\(index)", category: "generated-\(index % 9)", requirements: ["R\(index % 17 + 1)"]),
                finding: Finding(
                    outcome, Localized(zh: "第 \(index) 项检查的消息", en: "message of check \(index)"),
                    evidence: (0..<4).map { Evidence("fact \($0)", "value \($0) of check \(index)") },
                    remedy: outcome == .fail ? Localized(zh: "处理方法 \(index)", en: "remedy \(index)") : nil),
                durationSeconds: 0.001)
        }
        return RunReport(
            version: "0.1.0", profile: "sscc", language: .en, started: started, finished: started.addingTimeInterval(12),
            host: HostFacts(operatingSystem: "Debian GNU/Linux 12", kernel: "6.1", hostName: "bench"),
            targets: [],
            scope: RunReport.Scope(
                examined: [.init(id: "host", title: Localized(verbatim: "host"))], notExamined: [],
                subject: Localized(verbatim: "generated"), subjectExamined: true),
            results: results)
    }
}
