import Foundation
import Testing
import XMLSupport

@Suite struct NetworkSafetyTests {
    @Test func externalEntitiesAreNotExpanded() throws {
        let directory = try TemporaryDirectory()
        let secret = try directory.write("CANARY-FILE-CONTENT", to: "secret.txt")
        let text = """
        <?xml version="1.0"?>
        <!DOCTYPE r [<!ENTITY leak SYSTEM "file://\(secret)">]>
        <r>&leak;</r>
        """
        let document = try XMLDocument(bytes: Array(text.utf8), fileName: directory.path("in.xml"))
        #expect(!document.root.text.contains("CANARY"))
        let serialized = String(decoding: try document.serialized(), as: UTF8.self)
        #expect(!serialized.contains("CANARY"))
    }

    @Test func externalDTDIsNotFetched() throws {
        let trap = try ConnectionTrap()
        let plist = """
        <?xml version="1.0"?>
        <!DOCTYPE plist SYSTEM "\(trap.url)/PropertyList-1.0.dtd">
        <plist><dict><key>k</key><string>v</string></dict></plist>
        """
        let document = try XMLDocument(bytes: Array(plist.utf8))
        #expect(try document.xpathStrings("/plist/dict/string") == ["v"])
        #expect(!trap.wasContacted)
    }

    /// The schema parser loads imports on its own (without our parse options); the process-wide
    /// loader must still refuse the network.
    @Test func schemaImportsNeverReachTheNetwork() throws {
        let trap = try ConnectionTrap()
        let schema = """
        <?xml version="1.0"?>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:import namespace="urn:remote" schemaLocation="\(trap.url)/remote.xsd"/>
          <xs:element name="r" type="xs:string"/>
        </xs:schema>
        """
        _ = try? XMLSchema(bytes: Array(schema.utf8), fileName: "remote-import.xsd")
        #expect(!trap.wasContacted)
    }

    @Test func stylesheetsCannotReadTheNetwork() throws {
        let trap = try ConnectionTrap()
        let stylesheet = """
        <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
          <xsl:template match="/"><out><xsl:copy-of select="document('\(trap.url)/x.xml')"/></out></xsl:template>
        </xsl:stylesheet>
        """
        let compiled = try XSLTStylesheet(bytes: Array(stylesheet.utf8))
        _ = try? compiled.apply(to: XMLDocument(bytes: Array("<r/>".utf8)))
        #expect(!trap.wasContacted)
    }
}
