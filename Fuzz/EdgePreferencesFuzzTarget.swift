// libFuzzer target: Edge's `Preferences` as `EdgePreferences` reads it (what `--registry …/Preferences` and the
// collect script's zip give the IE-mode check) must never crash or hang; anything Edge would not have written is a
// thrown `EdgePreferences.Malformed`.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func edgePreferencesFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    do {
        let preferences = try EdgePreferences(bytes: bytes)
        // The pages are the keys of one JSON object: sorted and each once.
        let pages = preferences.ieModeUserPages
        if pages != pages.sorted() || Set(pages).count != pages.count {
            fatalError("pages not sorted or repeated: \(pages)")
        }
    } catch {
        switch error {
        case .notJSON(let reason): _ = reason.count
        case .notAnObject(let path): if path.isEmpty { fatalError("a wrong member without its path") }
        }
    }
    return 0
}
