import CXMLShims

/// The libxml2 and libxslt the process runs with, asked of the loaded libraries (not the headers it was built
/// against), for `certdoctor --version`.
public enum LibXMLVersion {
    /// "2.9.14", from libxml2's own `xmlParserVersion` ("20914").
    public static var libxml2: String {
        guard let text = cxml_runtime_version() else { return "unknown" }
        return Int(String(cString: text)).map(dotted) ?? String(cString: text)
    }

    /// "1.1.35", from libxslt's `xsltLibxsltVersion` (10135).
    public static var libxslt: String {
        dotted(Int(cxml_xslt_runtime_version()))
    }

    /// Both libraries number versions as major·10000 + minor·100 + patch.
    static func dotted(_ number: Int) -> String {
        "\(number / 10000).\(number / 100 % 100).\(number % 100)"
    }
}
