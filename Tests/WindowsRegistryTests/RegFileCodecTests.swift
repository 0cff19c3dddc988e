import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

struct RegFileCodecTests {
    func utf16File(_ text: String) -> [UInt8] { [0xff, 0xfe] + RegistryValue.utf16LEBytes(text, terminated: false) }

    @Test func version5SyntaxIsReadIncludingDeletionsCommentsAndContinuation() throws {
        let text = """
        Windows Registry Editor Version 5.00\r
        \r
        ; a comment\r
        [HKEY_CURRENT_USER\\Software\\Test\\子键]\r
        @="默认"\r
        "s"="a \\"quoted\\" \\\\ path" ; trailing comment\r
        "dw"=dword:0000002a\r
        "exp"=hex(2):25,00,54,00,45,00,4d,00,50,00,25,00,00,00\r
        "multi"=hex(7):61,00,00,00,62,00,00,00,00,00\r
        "qw"=hex(b):01,00,00,00,\\\r
          00,00,00,00\r
        "gone"=-\r
        [-HKEY_LOCAL_MACHINE\\Software\\Old]\r
        \r
        """
        let file = try RegFileCodec.decode(utf16File(text), fileName: "t.reg")
        #expect(file.format == .version5)
        #expect(file.sections.count == 2)
        let first = file.sections[0]
        #expect(first.path.description == "HKEY_CURRENT_USER\\Software\\Test\\子键")
        #expect(first.operations == [
            .set(RegistryValue(name: "", string: "默认")),
            .set(RegistryValue(name: "s", string: "a \"quoted\" \\ path")),
            .set(RegistryValue(name: "dw", dword: 42)),
            .set(RegistryValue(name: "exp", string: "%TEMP%", type: .expandString)),
            .set(RegistryValue(name: "multi", multiString: ["a", "b"])),
            .set(RegistryValue(name: "qw", qword: 1)),
            .delete(valueName: "gone"),
        ])
        #expect(file.sections[1].deletesKey)
        var snapshot = RegistrySnapshot()
        snapshot.withKey(creating: try RegistryPath(parsing: "HKLM\\Software\\Old\\Sub")) { $0.setValue(RegistryValue(name: "x", dword: 1)) }
        snapshot.apply(file)
        #expect(snapshot.key(at: try RegistryPath(parsing: "HKLM\\Software\\Old")) == nil)
        #expect(snapshot.key(at: try RegistryPath(parsing: "HKCU\\software\\test\\子键"))?.value(named: "DW")?.dwordValue == 42)
    }

    /// GBK bytes checked against the system's iconv tool, so the table is not our own invention.
    @Test func regedit4IsWrittenAndReadInGBK() throws {
        let path = try RegistryPath(parsing: "HKEY_CURRENT_USER\\Software\\深证通")
        let file = RegFile(format: .regedit4Chinese, sections: [RegFileSection(path: path, operations: [
            .set(RegistryValue(name: "名称", string: "证书")),
            .set(RegistryValue(name: "exp", string: "%TEMP%\\个人", type: .expandString)),
            .set(RegistryValue(name: "multi", multiString: ["甲", "乙"])),
        ])])
        let bytes = try RegFileCodec.encode(file)
        let iconv = Process()
        iconv.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        iconv.arguments = ["-f", "GBK", "-t", "UTF-8"]
        let input = Pipe(), output = Pipe()
        iconv.standardInput = input
        iconv.standardOutput = output
        try iconv.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let decoded = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        iconv.waitUntilExit()
        #expect(decoded.hasPrefix("REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\深证通]\r\n\"名称\"=\"证书\"\r\n"))
        // hex(2)/hex(7) hold ANSI bytes with single NUL terminators: 个 = b8 f6, 人 = c8 cb in GBK.
        #expect(decoded.contains("\"exp\"=hex(2):25,54,45,4d,50,25,5c,b8,f6,c8,cb,00\r\n"))
        #expect(decoded.contains("\"multi\"=hex(7):bc,d7,00,d2,d2,00,00\r\n"))
        #expect(try RegFileCodec.decode(bytes, fileName: "t.reg") == file)
        #expect(throws: RegistryError.self) {
            try RegFileCodec.encode(RegFile(format: .regedit4Chinese, sections: [RegFileSection(path: path, operations: [.set(RegistryValue(name: "x", string: "😀 ﷺ"))])]))
        }
    }

    /// The line a fix plan shows is the file's line, to the last digit.
    @Test func oneValueLineIsTheLineTheFileHolds() throws {
        #expect(try RegFileCodec.line(for: RegistryValue(name: "https", dword: 2)) == #""https"=dword:00000002"#)
        #expect(try RegFileCodec.line(for: RegistryValue(name: "", string: "x")) == #"@="x""#)
    }

    @Test func malformedRegFilesAreRejected() throws {
        func problem(_ bytes: [UInt8]) -> RegistryError? {
            #expect(throws: RegistryError.self) { try RegFileCodec.decode(bytes, fileName: "x.reg") }
        }
        let noBOM = RegistryValue.utf16LEBytes("Windows Registry Editor Version 5.00\r\n", terminated: false)
        #expect(problem(noBOM) == .malformed(file: "x.reg", line: 1, problem: .missingByteOrderMark))
        #expect(problem(utf16File("Hello\r\n")) == .malformed(file: "x.reg", line: 1, problem: .regFileHeader))
        #expect(problem(utf16File("Windows Registry Editor Version 5.00\r\n\"v\"=dword:1\r\n")) == .malformed(file: "x.reg", line: 2, problem: .valueWithoutKey))
        #expect(problem(utf16File("Windows Registry Editor Version 5.00\r\n[HKEY_NOWHERE\\x]\r\n")) == .malformed(file: "x.reg", line: 2, problem: .rootKey("HKEY_NOWHERE")))
        #expect(problem(utf16File("Windows Registry Editor Version 5.00\r\n[HKCU\\x]\r\n\"h\"=hex:01,\\\r\n")) == .malformed(file: "x.reg", line: 3, problem: .truncatedContinuation))
        #expect(problem(utf16File("Windows Registry Editor Version 5.00\r\n[HKCU\\x]\r\n\"d\"=dword:xyz\r\n")) == .malformed(file: "x.reg", line: 3, problem: .dword))
        #expect(problem([0xff, 0xfe, 0x41]) == .malformed(file: "x.reg", line: 1, problem: .oddUTF16Length))
        var generator = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let garbage = (0..<Int.random(in: 0..<500, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? RegFileCodec.decode(garbage, fileName: "g.reg")
            _ = try? RegFileCodec.decode(utf16File("Windows Registry Editor Version 5.00\r\n[HKCU\\x]\r\n") + garbage, fileName: "g.reg")
        }
    }
}
