import CertDoctorCore
import Foundation
import Testing

/// `check --prometheus-textfile DIR/certdoctor.prom` through the real executable. The end-to-end run with
/// node_exporter itself is scripts/test-node-exporter.sh.
@Suite struct TextfileOptionTests {
    @Test func aRunWritesOnlyTheMetricsFileUnredactedAndAUsageErrorKeepsItsSamples() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let textfiles = directory.appendingPathComponent("textfile")
        try FileManager.default.createDirectory(at: textfiles, withIntermediateDirectories: true)
        let prom = textfiles.appendingPathComponent("certdoctor.prom")
        let base = ["check", "--pfx", file.path, "--password-file", "pw", "--no-discover", "--lang", "en"]

        let ready = try CLI.run(base + ["--only", "certificate", "--prometheus-textfile", prom.path], in: directory)
        #expect(ready.exitCode == 0, "\(ready.output) \(ready.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: textfiles.path) == ["certdoctor.prom"])
        let first = try String(contentsOf: prom, encoding: .utf8)
        // The fixture's serial is 0x1000; the path is the real one, not a redaction placeholder.
        #expect(first.contains("serial_number=\"4096\""), "\(first)")
        #expect(first.contains("filepath=\"\(file.path)\""))
        #expect(first.contains("certdoctor_last_run_exit_code 0\n"))
        #expect(first.contains("certdoctor_ready_to_renew 1\n"))

        let mistyped = try CLI.run(base + ["--only", "cert.valdity", "--prometheus-textfile", prom.path], in: directory)
        #expect(mistyped.exitCode == 64)
        let second = try String(contentsOf: prom, encoding: .utf8)
        #expect(second.contains("certdoctor_last_run_exit_code 64\n"))
        let kept = { (text: String) in text.split(separator: "\n").filter { !$0.contains("certdoctor_last_run_") } }
        #expect(kept(second) == kept(first), "the previous samples stay")
        #expect(try FileManager.default.contentsOfDirectory(atPath: textfiles.path) == ["certdoctor.prom"])
    }

    @Test func aFileNodeExporterWouldNotReadIsAUsageError() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let wrong = directory.appendingPathComponent("certdoctor.txt")
        let run = try CLI.run(
            ["check", "--pfx", file.path, "--password-file", "pw", "--no-discover", "--prometheus-textfile", wrong.path],
            in: directory, environment: ["LANG": "zh_CN.UTF-8"])
        #expect(run.exitCode == 64)
        #expect(run.errors.contains("--prometheus-textfile 只接受以 .prom 结尾的文件"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: wrong.path))
    }
}
