import Foundation
import Testing
import XMLSupport

@Suite struct XMLBuilderTests {
    @Test func escapesMarkupInTextAndAttributes() throws {
        let document = XMLDocument(rootName: "report", namespace: "urn:certdoctor:report:1")
        let check = document.root.addChild("check", text: "a & b < c > d ]]> e")
        check.setAttribute("id", "x\"y'z&<w>")
        let bytes = try document.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("a &amp; b &lt; c &gt; d ]]&gt; e"))
        #expect(text.contains("id=\"x&quot;y'z&amp;&lt;w&gt;\""))
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"))

        let reread = try XMLDocument(bytes: bytes)
        let element = try #require(reread.root.firstChild(named: "check"))
        #expect(element.text == "a & b < c > d ]]> e")
        #expect(element.attribute("id") == "x\"y'z&<w>")
        #expect(element.namespaceURI == "urn:certdoctor:report:1")
    }

    @Test func chineseTextRoundTripsAsUTF8() throws {
        let document = XMLDocument(rootName: "报告")
        document.root.setAttribute("标题", "证书更新前检查")
        document.root.addChild("消息", text: "未检测到硬证书 ukey 或 ukey 存储空间已满")
        let bytes = try document.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        // Raw UTF-8, not character references: the file stays readable in any editor.
        #expect(text.contains("未检测到硬证书 ukey 或 ukey 存储空间已满"))
        #expect(!text.contains("&#"))
        let reread = try XMLDocument(bytes: bytes)
        #expect(reread.root.name == "报告")
        #expect(reread.root.attribute("标题") == "证书更新前检查")
        #expect(reread.root.firstChild(named: "消息")?.text == "未检测到硬证书 ukey 或 ukey 存储空间已满")
    }

    @Test func controlCharactersCannotBreakTheDocument() throws {
        let document = XMLDocument(rootName: "r")
        document.root.addChild("value", text: "before\u{01}\u{1B}after\ttab")
        document.root.setAttribute("raw", "\u{0}x")
        let reread = try XMLDocument(bytes: try document.serialized())
        #expect(reread.root.firstChild(named: "value")?.text == "before\u{FFFD}\u{FFFD}after\ttab")
        #expect(reread.root.attribute("raw") == "\u{FFFD}x")
    }

    @Test func prettyPrintsWithDefaultNamespaceInherited() throws {
        let document = XMLDocument(rootName: "report", namespace: "urn:r")
        let results = document.root.addChild("results")
        results.addChild("check", text: "one")
        results.appendText("")
        let text = String(decoding: try document.serialized(pretty: true), as: UTF8.self)
        #expect(text.contains("<report xmlns=\"urn:r\">\n  <results>\n    <check>one</check>\n  </results>\n</report>"))
        let compact = String(decoding: try document.serialized(pretty: false), as: UTF8.self)
        #expect(compact.contains("<report xmlns=\"urn:r\"><results><check>one</check></results></report>"))
    }

    /// xmllint is the independent reader: what libxml2 wrote must be well-formed to it too.
    @Test func xmllintAcceptsTheSerialisedDocument() throws {
        let directory = try TemporaryDirectory()
        let document = XMLDocument(rootName: "report", namespace: "urn:r")
        document.root.addChild("m", text: "<script>alert('&')</script> 深证通")
        let path = directory.path("out.xml")
        try Data(try document.serialized()).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        process.arguments = ["--noout", path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
