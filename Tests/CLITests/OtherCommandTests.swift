import CertDoctorCore
import Foundation
import Testing

@Suite struct OtherCommandTests {
    @Test func listChecksShowsBuiltInAndPluginChecksWithTheirSource() throws {
        let extra = FileManager.default.temporaryDirectory.appendingPathComponent("plugins-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        let plugin = extra.appendingPathComponent("check_ntp")
        try Data("#!/bin/sh\necho 'NTP OK - offset 0.01'\nexit 0\n".utf8).write(to: plugin)
        chmod(plugin.path, 0o755)
        let run = try CLI.run(["list-checks", "--plugins", extra.path, "--format", "json"])
        #expect(run.exitCode == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]] ?? []
        let sources = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as? String ?? "", $0["source"] as? String ?? "") })
        #expect(sources["cert.pfx-name"] == "built-in")
        #expect(sources["host.free-space"] == "built-in")
        #expect(sources["example.free-space"] == nil, "the example plugin is below the plugin directory, not in it")
        #expect(sources["plugin.check-ntp"] == "plugin " + plugin.path)
    }

    @Test func theExamplePluginRunsWhenItsDirectoryIsNamedBesideTheBuiltInCheck() throws {
        let examples = CLI.repository.appendingPathComponent("Checks/plugins/examples")
        let list = try CLI.run(["list-checks", "--plugins", examples.path, "--format", "json"])
        let entries = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]] ?? []
        let sources = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as? String ?? "", $0["source"] as? String ?? "") })
        #expect(sources["example.free-space"]?.hasSuffix("Checks/plugins/examples/free-space") == true)
        #expect(sources["host.free-space"] == "built-in")
        let run = try CLI.run(["check", "--plugins", examples.path, "--only", "host,example", "--format", "json"])
        #expect(try run.outcome(of: "example.free-space") == "pass")
        #expect(try run.outcome(of: "host.free-space") == "pass")
    }

    @Test func pluginPathVariableAddsChecksThatRunInCheck() throws {
        let extra = FileManager.default.temporaryDirectory.appendingPathComponent("plugins-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        let plugin = extra.appendingPathComponent("check_wine")
        try Data("#!/bin/sh\necho 'WINE CRITICAL - no prefix'\nexit 2\n".utf8).write(to: plugin)
        chmod(plugin.path, 0o755)
        let run = try CLI.run(["check", "--format", "json"], environment: ["CERTDOCTOR_PLUGIN_PATH": extra.path])
        #expect(try run.outcome(of: "plugin.check-wine") == "fail")
        #expect(try run.outcome(of: "host.free-space") == "pass")
        #expect(run.exitCode == 1, "a CRITICAL plugin is a required failure")
    }

    @Test(arguments: [
        ("E5", "cert.pfx-name"), ("证书信息与CA系统不一致", "cert.pfx-name"), ("cert.pfx-name", "R15"),
        ("E1", "activex.certenroll"), ("E3", "driver.token"), ("E6", "store.personal-cert"), ("E9", "browser.downloads"),
    ])
    func explainPrintsCauseRemedyAndChecks(query: String, mention: String) throws {
        let run = try CLI.run(["explain", query, "--lang", "en"])
        #expect(run.exitCode == 0)
        #expect(run.output.contains(mention))
        #expect(run.output.contains("0755-83183333"))
    }

    @Test func explainInChineseAndUnknownQuery() throws {
        let chinese = try CLI.run(["explain", "E2", "--lang", "zh"])
        #expect(chinese.output.contains("原因"))
        let unknown = try CLI.run(["explain", "nothing like this", "--lang", "en"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.errors.contains("E1–E9"))
    }

    @Test func brokenProfileFileIsExit65NamingTheFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).json")
        try Data("{ \"schemaVersion\": 1,\n \"name\": ".utf8).write(to: file)
        let run = try CLI.run(["check", "--profile", file.path])
        #expect(run.exitCode == 65)
        #expect(run.errors.contains(file.path))
    }

    @Test func unknownOptionIsAUsageError() throws {
        #expect(try CLI.run(["check", "--no-such-option"]).exitCode == 64)
        #expect(try CLI.run(["check", "--timeout", "0"]).exitCode == 64)
        // Below 0.1 s every check would be abandoned mid-way (and then inside OpenSSL at exit): refused.
        #expect(try CLI.run(["check", "--timeout", "0.001"]).exitCode == 64)
    }
}

/// The collect script speaks to the customer: Chinese for the SSCC profile (in code page 936, as cmd.exe reads a
/// batch file on Chinese Windows) whatever the support engineer's LANG, English with `--lang en`.
@Suite struct CollectScriptCommandTests {
    @Test func theScriptIsInTheCustomersLanguage() throws {
        let chinese = try CLI.run(["collect-script"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
        #expect(chinese.exitCode == 0)
        let gbk = try #require(chinese.rawOutput.firstIndex(of: 0xD5), "Chinese bytes in code page 936")
        #expect(gbk > 0 && String(bytes: chinese.rawOutput, encoding: .utf8) == nil)
        let english = try CLI.run(["collect-script", "--lang", "en"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
        #expect(english.exitCode == 0)
        #expect(english.output.contains("echo Done. Send this file to support:"), "\(english.output)")
        #expect(english.rawOutput.allSatisfy { $0 < 0x80 })
        #expect(english.output.contains("\r\nif defined PAUSE_AT_END pause\r\n"))
    }
}

@Suite struct HelpLanguageTests {
    @Test func helpFollowsLANG() throws {
        let chinese = try CLI.run(["check", "--help"], environment: ["LANG": "zh_CN.UTF-8"])
        #expect(chinese.output.contains("要检查的文件证书"))
        let english = try CLI.run(["check", "--help"], environment: ["LANG": "en_US.UTF-8"])
        #expect(english.output.contains("The file certificate to check"))
    }

    // `--lang` decides the language of help and usage errors too, whatever `LANG` says: help is printed before
    // the option has a value, so it used to follow `LANG` alone.
    static let subcommands = [
        "check", "fix", "undo", "renew", "enroll", "list-checks", "explain", "collect-script", "report render", "registry query",
        "registry export",
    ]

    @Test(arguments: subcommands)
    func helpFollowsLangOverTheLocale(_ subcommand: String) throws {
        let words = subcommand.split(separator: " ").map(String.init)
        let chinese = try CLI.run(words + ["--lang", "zh", "--help"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
        #expect(chinese.exitCode == 0)
        #expect(chinese.output.contains("消息语言") || chinese.output.contains("报告"), "\(chinese.output)")
        #expect(!chinese.output.contains("Language of messages"), "\(chinese.output)")
        let english = try CLI.run(words + ["--lang=en", "--help"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
        #expect(english.exitCode == 0)
        // The manual's own Chinese terms may be quoted in English help; no Chinese sentence of ours may appear.
        for chineseWords in ["消息语言", "默认", "用法错误", "退出码"] {
            #expect(!english.output.contains(chineseWords), "\(chineseWords) in: \(english.output)")
        }
        #expect(english.output.contains("Language of messages") || english.output.contains("the report's own language"), "\(english.output)")
    }

    /// `registry` says what it could not find in the `--lang` language, whatever `LANG` says.
    @Test func registryMessagesFollowLang() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-lang-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: prefix) }
        for (file, root) in [("system.reg", "\\\\Machine"), ("user.reg", "\\\\User\\\\S-1-5-21-0-0-0-1000")] {
            try Data("WINE REGISTRY Version 2\n;; All keys relative to \(root)\n\n#arch=win64\n\n[Software\\\\Wine] 1700000000\n\"v\"=\"1\"\n".utf8)
                .write(to: prefix.appendingPathComponent(file))
        }
        for command in ["query", "export"] {
            let extra = command == "export" ? ["--format", "reg"] : []
            let words = ["registry", command, "--wine-prefix", prefix.path, "HKCU\\Software\\CertDoctorMissing"] + extra
            let chinese = try CLI.run(words + ["--lang", "zh"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
            #expect(chinese.exitCode == 1, "\(chinese.errors)")
            #expect(chinese.errors.contains("找不到"), "\(command): \(chinese.errors)")
            let english = try CLI.run(words + ["--lang", "en"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
            #expect(english.exitCode == 1 && english.errors.contains("not found"), "\(command): \(english.errors)")
        }
    }

    /// The argument parser's own usage errors are said in Chinese with `--lang zh`, with the same exit status.
    @Test(arguments: [
        (["check", "--nonsense"], "错误：未知的选项“--nonsense”"),
        (["check", "--timeout", "abc"], "错误：“--timeout <timeout>”不接受“abc”"),
        (["explain"], "错误：缺少参数“<query>”"),
    ])
    func theParsersUsageErrorsFollowLang(_ arguments: [String], _ expected: String) throws {
        let chinese = try CLI.run(arguments + ["--lang", "zh"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
        #expect(chinese.exitCode == 64)
        #expect(chinese.errors.contains(expected), "\(chinese.errors)")
        #expect(chinese.errors.contains("用法：certdoctor "), "\(chinese.errors)")
        #expect(!chinese.errors.contains("Usage:") && !chinese.errors.contains("for more information"), "\(chinese.errors)")
        let english = try CLI.run(arguments + ["--lang", "en"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
        #expect(english.exitCode == 64)
        #expect(english.errors.contains("Error: ") && english.errors.contains("Usage: certdoctor "), "\(english.errors)")
    }

    /// `list-checks` for people says severity and source in the `--lang` language; JSON keeps the raw words.
    @Test func listChecksFollowsLang() throws {
        let chinese = try CLI.run(["list-checks", "--lang", "zh"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
        let line = try #require(chinese.output.split(separator: "\n").first { $0.hasPrefix("cert.pfx-name ") }, "\(chinese.output)")
        #expect(line.contains("  必需  文件证书命名规则") && line.hasSuffix("（内置）"), "\(line)")
        #expect(!chinese.output.contains("required") && !chinese.output.contains("built-in"), "\(chinese.output)")
        let json = try CLI.run(["list-checks", "--lang", "zh", "--format", "json"])
        #expect(json.output.contains(#""severity" : "required""#) && json.output.contains(#""source" : "built-in""#), "\(json.output)")
    }

    /// A usage error that certdoctor words itself is in the `--lang` language too.
    @Test func aUsageErrorFollowsLang() throws {
        let chinese = try CLI.run(["check", "--lang", "zh", "--no-discover", "--timeout", "0"], environment: ["LANG": "en_US.UTF-8", "LC_ALL": ""])
        #expect(chinese.exitCode == 64)
        #expect(chinese.errors.contains("--timeout 必须是"), "\(chinese.errors)")
        let english = try CLI.run(["check", "--lang", "en", "--no-discover", "--timeout", "0"], environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
        #expect(english.exitCode == 64)
        #expect(english.errors.contains("--timeout must be"), "\(english.errors)")
    }
}

@Suite struct TokenOptionTests {
    /// With no PC/SC service to talk to, `pcsc.service` fails and the token checks that need it are not run.
    @Test func tokenRunWithoutAServiceFailsPCSCAndSkipsTheTokenChecks() throws {
        let run = try CLI.run(["check", "--token", "--format", "json", "--timeout", "5"],
                              environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(run.exitCode == 1)
        #expect(try run.outcome(of: "pcsc.service") == "fail")
        #expect(try run.outcome(of: "token.present") == "notchecked")
        #expect(try run.outcome(of: "token.single") == "notchecked")
        #expect(try run.outcome(of: "token.certificate") == "notchecked")
        #expect(try run.outcome(of: "token.room") == "notchecked")
    }

    /// Without --token, and with discovery off (a card in a reader of the test machine would otherwise be found).
    @Test func withoutTokenTheTokenChecksAreNotApplicable() throws {
        let run = try CLI.run(["check", "--no-discover", "--format", "json"])
        #expect(try run.outcome(of: "pcsc.service") == "notapplicable")
        #expect(try run.outcome(of: "token.present") == "notapplicable")
    }

    @Test func tokenPINNeverAppears() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pin-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("86420135\n".utf8).write(to: directory.appendingPathComponent("pin"))
        let run = try CLI.run(["check", "--token", "--token-pin-file", "pin", "--format", "json", "-v", "--timeout", "5"],
                              in: directory, environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(!run.output.contains("86420135") && !run.errors.contains("86420135"))
    }
}
