// libFuzzer target: an Enterprise Mode site list as certdoctor reads it (the XML parser, then the walk over
// `<site url>` and `<open-in>` that the IE-mode check does) must never crash or hang, and a document that
// parsed must serialize and parse again.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func siteListFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let document = try? XMLDocument(bytes: bytes, fileName: "sites.xml") else { return 0 }
    // The same walk as the IE-mode check's `sites(in:)`, kept here so the check's module is not compiled in.
    let sites = document.root.children(named: "site").compactMap { site -> (url: String, openIn: String)? in
        guard let url = site.attribute("url") else { return nil }
        let openIn = site.firstChild(named: "open-in")?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? "None"
        return (url, openIn.isEmpty ? "None" : openIn)
    }
    _ = sites.count
    for pretty in [true, false] {
        let written: [UInt8]
        do {
            written = try document.serialized(pretty: pretty)
        } catch {
            fatalError("a parsed site list did not serialize (pretty: \(pretty)): \(error)")
        }
        do {
            _ = try XMLDocument(bytes: written, fileName: "sites.xml")
        } catch {
            fatalError("a serialized site list did not parse again (pretty: \(pretty)): \(error)")
        }
    }
    return 0
}
