import Foundation
import Testing
import XMLSupport

private let reportSchema = """
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="urn:t" xmlns="urn:t" elementFormDefault="qualified">
  <xs:element name="report">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="check" maxOccurs="unbounded">
          <xs:complexType>
            <xs:simpleContent>
              <xs:extension base="xs:string">
                <xs:attribute name="id" type="xs:NCName" use="required"/>
                <xs:attribute name="status" use="required">
                  <xs:simpleType>
                    <xs:restriction base="xs:string">
                      <xs:enumeration value="pass"/>
                      <xs:enumeration value="fail"/>
                    </xs:restriction>
                  </xs:simpleType>
                </xs:attribute>
              </xs:extension>
            </xs:simpleContent>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="generated" type="xs:dateTime" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

@Suite struct SchemaTests {
    @Test func validDocumentHasNoViolations() throws {
        let schema = try XMLSchema(bytes: Array(reportSchema.utf8), fileName: "t.xsd")
        let document = XMLDocument(rootName: "report", namespace: "urn:t")
        document.root.setAttribute("generated", "2026-01-02T03:04:05Z")
        let check = document.root.addChild("check", text: "ok & fine")
        check.setAttribute("id", "token.single")
        check.setAttribute("status", "pass")
        #expect(schema.validate(document).isEmpty)
        #expect(try schema.validate(bytes: document.serialized()).isEmpty)
    }

    @Test func violationsCarryLinesAndMessages() throws {
        let schema = try XMLSchema(bytes: Array(reportSchema.utf8), fileName: "t.xsd")
        let text = """
        <?xml version="1.0"?>
        <report xmlns="urn:t">
          <check id="good" status="pass"/>
          <check id="9bad" status="pass"/>
          <check id="other" status="maybe"/>
        </report>
        """
        let violations = try schema.validate(bytes: Array(text.utf8), fileName: "report.xml")
        #expect(violations.map(\.line) == [2, 4, 5])
        #expect(violations.allSatisfy { $0.file == "report.xml" })
        #expect(violations[0].message.contains("generated"))
        #expect(violations[1].message.contains("9bad"))
        #expect(violations[2].message.contains("maybe"))
        #expect(violations[2].description.hasPrefix("report.xml:5: "))
    }

    @Test func schemaFromAFileResolvesIncludes() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("""
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{6}"/></xs:restriction></xs:simpleType>
        </xs:schema>
        """, to: "types.xsd")
        let main = try directory.write("""
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:include schemaLocation="types.xsd"/>
          <xs:element name="code" type="Code"/>
        </xs:schema>
        """, to: "main.xsd")
        let schema = try XMLSchema(contentsOfFile: main)
        #expect(try schema.validate(bytes: Array("<code>123456</code>".utf8)).isEmpty)
        #expect(try schema.validate(bytes: Array("<code>12345x</code>".utf8)).count == 1)
    }

    @Test func brokenSchemaIsATypedError() {
        let text = """
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="r" type="NoSuchType"/>
        </xs:schema>
        """
        #expect {
            _ = try XMLSchema(bytes: Array(text.utf8), fileName: "broken.xsd")
        } throws: { error in
            guard case let .invalidSchema(file, line, message) = error as? XMLError else { return false }
            return file == "broken.xsd" && line == 2 && message.contains("NoSuchType")
        }
    }

    @Test func validatesInParallel() async throws {
        LibXMLReady.touch()
        try await withThrowingTaskGroup(of: [Int].self) { group in
            for index in 0..<32 {
                group.addTask {
                    let schema = try XMLSchema(bytes: Array(reportSchema.utf8))
                    let filler = String(repeating: "\n", count: index)
                    let text = "<report xmlns=\"urn:t\" generated=\"2026-01-01T00:00:00Z\">\(filler)<check id=\"x\" status=\"no\"/></report>"
                    return try schema.validate(bytes: Array(text.utf8)).map(\.line)
                }
            }
            var lines: [[Int]] = []
            for try await result in group { lines.append(result) }
            #expect(Set(lines) == Set((0..<32).map { [1 + $0] }))
        }
    }
}

private let htmlStylesheet = """
<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:t="urn:t"
    exclude-result-prefixes="t">
  <xsl:output method="html" encoding="UTF-8" indent="no"/>
  <xsl:param name="lang" select="'zh'"/>
  <xsl:param name="title" select="''"/>
  <xsl:template match="/t:report">
    <html lang="{$lang}">
      <head><meta charset="utf-8"/><title><xsl:value-of select="$title"/></title></head>
      <body>
        <h1><xsl:choose><xsl:when test="$lang = 'en'">Checks</xsl:when><xsl:otherwise>检查结果</xsl:otherwise></xsl:choose></h1>
        <ul><xsl:for-each select="t:check"><li id="{@id}"><xsl:value-of select="."/></li></xsl:for-each></ul>
        <br/>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
"""

@Suite struct StylesheetTests {
    private func sampleReport() -> XMLDocument {
        let document = XMLDocument(rootName: "report", namespace: "urn:t")
        document.root.addChild("check", text: "证书 <ok> & 有效").setAttribute("id", "cert.validity")
        return document
    }

    @Test func appliesWithParametersAndHTMLOutput() throws {
        let stylesheet = try XSLTStylesheet(bytes: Array(htmlStylesheet.utf8), fileName: "report.xsl")
        let english = String(decoding: try stylesheet.apply(to: sampleReport(), parameters: ["lang": "en"]), as: UTF8.self)
        #expect(english.contains("<html lang=\"en\">"))
        #expect(english.contains("<h1>Checks</h1>"))
        #expect(english.contains("<li id=\"cert.validity\">证书 &lt;ok&gt; &amp; 有效</li>"))
        // HTML output method: void elements without XML self-closing syntax.
        #expect(english.contains("<br>"))
        let chinese = String(decoding: try stylesheet.apply(to: sampleReport()), as: UTF8.self)
        #expect(chinese.contains("<h1>检查结果</h1>"))
    }

    @Test func parameterValuesAreStringsNotXPath() throws {
        let stylesheet = try XSLTStylesheet(bytes: Array(htmlStylesheet.utf8))
        let title = "it's \"quoted\" & <odd>"
        let html = String(decoding: try stylesheet.apply(to: sampleReport(), parameters: ["title": title]), as: UTF8.self)
        #expect(html.contains("<title>it's \"quoted\" &amp; &lt;odd&gt;</title>"))
    }

    @Test func compileErrorsAreCapturedNotPrinted() {
        let broken = """
        <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
          <xsl:template match="/"><xsl:value-of select="count(("/></xsl:template>
        </xsl:stylesheet>
        """
        #expect {
            _ = try XSLTStylesheet(bytes: Array(broken.utf8), fileName: "broken.xsl")
        } throws: { error in
            guard case let .invalidStylesheet(file, messages) = error as? XMLError else { return false }
            return file == "broken.xsl" && messages.contains { $0.contains("compil") || $0.contains("xpath") || $0.contains("XPath") }
        }
    }

    @Test func terminatingMessageFailsTheTransform() throws {
        let stylesheet = """
        <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
          <xsl:template match="/"><xsl:message terminate="yes">no report here</xsl:message></xsl:template>
        </xsl:stylesheet>
        """
        let compiled = try XSLTStylesheet(bytes: Array(stylesheet.utf8))
        #expect {
            _ = try compiled.apply(to: XMLDocument(bytes: Array("<r/>".utf8)))
        } throws: { error in
            guard case let .transformFailed(messages) = error as? XMLError else { return false }
            return messages.contains { $0.contains("no report here") }
        }
    }
}
