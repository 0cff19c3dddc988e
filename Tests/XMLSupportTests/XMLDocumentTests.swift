import Foundation
import Testing
import XMLSupport

@Suite struct XMLDocumentTests {
    @Test func malformedInputReportsTheLineWhereParsingStopped() throws {
        let text = "<report>\n  <check id=\"a\"/>\n  <check id=\"b\">\n</report>\n"
        #expect {
            _ = try XMLDocument(bytes: Array(text.utf8), fileName: "broken.xml")
        } throws: { error in
            guard case let .malformed(file, line, message) = error as? XMLError else { return false }
            return file == "broken.xml" && line == 4 && message.contains("check")
        }
    }

    @Test func malformedFileNamesThePath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("bad.xml")
        try Data("<?xml version=\"1.0\"?>\n\n\n<a>&undefined;</a>\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try XMLDocument(contentsOfFile: path)
        } throws: { error in
            guard case let .malformed(file, line, message) = error as? XMLError else { return false }
            return file == path && line == 4 && message.contains("undefined")
        }
    }

    @Test func missingFileIsUnreadableNotMalformed() {
        #expect {
            _ = try XMLDocument(contentsOfFile: "/nonexistent/certdoctor/none.xml")
        } throws: { error in
            guard case let .unreadable(path, _) = error as? XMLError else { return false }
            return path == "/nonexistent/certdoctor/none.xml"
        }
    }

    @Test func emptyInputIsMalformed() {
        #expect(throws: XMLError.self) { _ = try XMLDocument(bytes: [], fileName: "empty.xml") }
    }

    @Test func errorsHaveEnglishAndChineseText() {
        let error = XMLError.malformed(file: "a.xml", line: 3, message: "boom")
        #expect(error.errorDescription == "a.xml:3: malformed XML: boom")
        #expect(error.chineseDescription.contains("格式错误"))
        #expect(error.chineseDescription.contains("a.xml:3"))
    }

    @Test func navigatesElementsAttributesTextAndLines() throws {
        let text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <m:manifest xmlns:m="urn:certdoctor:test" xmlns="urn:default" version="2">
          <m:check id="browser.trusted-site" severity="required">
            <m:title lang="zh">受信任站点</m:title>
            <m:title lang="en">Trusted site</m:title>
          </m:check>
          <!-- a comment is not a child element -->
          <plain>x</plain>
        </m:manifest>
        """
        let document = try XMLDocument(bytes: Array(text.utf8), fileName: "manifest.xml")
        let root = document.root
        #expect(root.name == "manifest")
        #expect(root.prefix == "m")
        #expect(root.namespaceURI == "urn:certdoctor:test")
        #expect(root.attribute("version") == "2")
        #expect(root.attribute("missing") == nil)
        #expect(root.namespaceDeclarations.contains(XMLNamespaceDeclaration(prefix: nil, uri: "urn:default")))
        #expect(root.namespaceDeclarations.contains(XMLNamespaceDeclaration(prefix: "m", uri: "urn:certdoctor:test")))
        #expect(root.children.map(\.name) == ["check", "plain"])
        #expect(root.children.last?.namespaceURI == "urn:default")
        let check = try #require(root.firstChild(named: "check", namespace: "urn:certdoctor:test"))
        #expect(check.line == 3)
        #expect(check.attributes.map(\.name) == ["id", "severity"])
        #expect(check.attributes.first?.value == "browser.trusted-site")
        #expect(check.children(named: "title").map(\.text) == ["受信任站点", "Trusted site"])
        #expect(check.children.first?.parent?.name == "check")
        #expect(root.parent == nil)
    }

    @Test func xpathReturnsStringsNodesAndScalars() throws {
        let text = """
        <r xmlns:c="urn:c"><c:item n="1">one</c:item><c:item n="2">two</c:item><other/></r>
        """
        let document = try XMLDocument(bytes: Array(text.utf8))
        #expect(try document.xpathStrings("/r/c:item") == ["one", "two"])
        #expect(try document.xpathStrings("/r/x:item/@n", namespaces: ["x": "urn:c"]) == ["1", "2"])
        #expect(try document.xpathStrings("count(//c:item)") == ["2"])
        #expect(try document.xpathStrings("boolean(/r/other)") == ["true"])
        #expect(try document.xpathStrings("/r/nothing").isEmpty)
        let items = try document.xpathNodes("//c:item")
        #expect(items.map { $0.attribute("n") } == ["1", "2"])
        #expect(try items[1].xpathStrings("string(@n)") == ["2"])
        #expect(try items[0].xpathNodes("following-sibling::*").map(\.name) == ["item", "other"])
    }

    @Test func invalidXPathIsATypedError() throws {
        let document = try XMLDocument(bytes: Array("<r/>".utf8))
        #expect {
            _ = try document.xpathStrings("/r[")
        } throws: { error in
            guard case let .invalidXPath(expression, message) = error as? XMLError else { return false }
            return expression == "/r[" && !message.isEmpty
        }
        #expect(throws: XMLError.self) { _ = try document.xpathStrings("/u:r") }
    }

    /// The real driver bundle from libccid, as SmartCard reads it (reference §4).
    @Test func readsTheCCIDDriverBundlePlist() throws {
        let path = "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist"
        try #require(FileManager.default.fileExists(atPath: path), "libccid is not installed (apt-get install libccid)")
        let document = try XMLDocument(contentsOfFile: path)
        let executable = try document.xpathStrings(
            "/plist/dict/key[normalize-space(.)='CFBundleExecutable']/following-sibling::*[1]")
        #expect(executable == ["libccid.so"])
        let vendors = try document.xpathNodes(
            "/plist/dict/key[normalize-space(.)='ifdVendorID']/following-sibling::*[1]/string")
        #expect(vendors.count > 100)
    }

    @Test func parsesInParallelWithoutMixingErrors() async throws {
        LibXMLReady.touch()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 1...64 {
                group.addTask {
                    let text = String(repeating: "\n", count: index) + "<a><b></a>"
                    do {
                        _ = try XMLDocument(bytes: Array(text.utf8), fileName: "doc\(index).xml")
                        return false
                    } catch let XMLError.malformed(file, line, _) {
                        return file == "doc\(index).xml" && line == index + 1
                    }
                }
            }
            for try await correct in group {
                #expect(correct)
            }
        }
    }
}

/// Parsing anything initialises libxml2; tests that fan out call this first.
enum LibXMLReady {
    static func touch() {
        _ = try? XMLDocument(bytes: Array("<ready/>".utf8))
    }
}
