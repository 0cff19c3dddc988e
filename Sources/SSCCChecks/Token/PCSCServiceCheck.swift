import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// R7: the PC/SC service answers. Not running is a failure with the way to start it; a service that is there
/// but does not answer is `error` within the time limit, never a hung doctor.
struct PCSCServiceCheck: Check {
    static let description = CheckDescription(
        id: "pcsc.service",
        title: Localized(zh: "PC/SC 智能卡服务", en: "PC/SC smart card service"),
        summary: Localized(
            zh: "pcscd 在运行并应答；未运行时给出启动方法，无应答时报告错误而不挂起。",
            en: "pcscd runs and answers; when it does not run, says how to start it; when it hangs, reports an error instead of hanging."),
        requirements: ["R7", "E3"],
        category: "token",
        severity: .required,
        facets: [.token],
        fix: Localized(
            zh: "启动已安装但未运行的 pcscd；未安装时安装 pcscd 软件包（需确认或 --yes）。",
            en: "Starts pcscd when it is installed and stopped; installs the pcscd package when it is missing (after confirmation or --yes)."),
        examples: [
            TokenScenario.example("one-token", expect: .pass),
            TokenScenario.example("no-readers", expect: .pass, "a service without readers still answers"),
            TokenScenario.example("service-stopped", expect: .fail),
            TokenScenario.example("service-hung", expect: .error, "accepts and never answers"),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let pcscd = context.environment.tokenOptions.pcscdPath
        let installed = FileManager.default.isExecutableFile(atPath: pcscd)
        var evidence = [Evidence("pcscd", installed ? pcscd : "not installed", kind: .path)]
        do {
            let readers = try TokenFacts.readers(context)
            evidence.append(Evidence("readers", String(readers.readers.count)))
            evidence += TokenFacts.readerEvidence(readers.readers)
            return .pass(
                Localized(zh: "PC/SC 服务在运行，读卡器 \(readers.readers.count) 个", en: "the PC/SC service answers; \(readers.readers.count) reader(s)"),
                evidence: evidence)
        } catch PCSCError.noService {
            if installed {
                return .fail(Messages.notRunning, evidence: evidence, remedy: Messages.start)
            }
            return .fail(Messages.notInstalled, evidence: evidence, remedy: Messages.install)
        } catch let error as PCSCError {
            var finding = TokenFacts.unevaluated(error)
            finding.evidence = evidence
            finding.remedy = Messages.restart
            return finding
        }
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        guard finding.outcome == .fail else { return nil }
        let options = context.environment.tokenOptions
        let command: [String]
        let summary: Localized
        if FileManager.default.isExecutableFile(atPath: options.pcscdPath) {
            command = options.pcscdStartCommand ?? Self.defaultStartCommand(pcscd: options.pcscdPath)
            summary = Localized(zh: "启动 PC/SC 服务", en: "start the PC/SC service")
        } else {
            command = ["/usr/bin/apt-get", "install", "-y", "pcscd"]
            summary = Localized(zh: "安装 PC/SC 服务", en: "install the PC/SC service")
        }
        let shown = command.joined(separator: " ")
        return FixPlan(
            checkID: Self.description.id, summary: summary,
            steps: [
                FixStep(description: Localized(zh: "运行：" + shown, en: "run: " + shown), touches: []) { _ in
                    try Self.run(command)
                },
            ])
    }

    /// systemd starts pcscd through its socket unit; without systemd (containers) pcscd runs as a daemon itself.
    static func defaultStartCommand(pcscd: String) -> [String] {
        if FileManager.default.fileExists(atPath: "/run/systemd/system") {
            return ["/usr/bin/systemctl", "start", "pcscd.socket", "pcscd.service"]
        }
        return [pcscd]
    }

    static func run(_ command: [String]) throws {
        let result = try ChildProcess.run(
            command[0], arguments: Array(command.dropFirst()),
            environment: SecretVariables.removed(from: ProcessInfo.processInfo.environment),
            deadline: Date().addingTimeInterval(120))
        guard result.reason == .exited(0) else {
            throw FixFailure.commandFailed(command.joined(separator: " "), result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

enum FixFailure: Error, LocalizedMessage {
    case commandFailed(String, String)

    var localizedMessage: Localized {
        switch self {
        case .commandFailed(let command, let output):
            Localized(zh: "命令失败：\(command)：\(output)", en: "command failed: \(command): \(output)")
        }
    }
}


extension PCSCServiceCheck {
    enum Messages {
        static let notRunning = Localized(zh: "pcscd 已安装但未运行", en: "pcscd is installed but not running")
        static let notInstalled = Localized(zh: "未安装 PC/SC 服务（pcscd）", en: "the PC/SC service (pcscd) is not installed")
        static let start = Localized(
            zh: "启动服务：sudo systemctl start pcscd.socket（无 systemd 时：sudo pcscd），或运行 certdoctor fix。",
            en: "Start it: sudo systemctl start pcscd.socket (without systemd: sudo pcscd), or run certdoctor fix.")
        static let install = Localized(
            zh: "安装服务：sudo apt-get install -y pcscd，或运行 certdoctor fix --yes。",
            en: "Install it: sudo apt-get install -y pcscd, or run certdoctor fix --yes.")
        static let restart = Localized(
            zh: "pcscd 没有应答：重启服务（sudo systemctl restart pcscd），并检查 PCSCLITE_CSOCK_NAME 是否指向正确的套接字。",
            en: "pcscd does not answer: restart it (sudo systemctl restart pcscd) and check that PCSCLITE_CSOCK_NAME, if set, names the right socket.")
    }
}
