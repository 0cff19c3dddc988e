// libFuzzer target: reading what a plugin's `check` printed. The first byte chooses the exit status (0–3),
// the rest is standard output. Never crashes; the outcome is never `fixed` (certdoctor's word, not a
// plugin's); output that looks like a JSON result with a non-zero exit status is an error.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func pluginResultFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let status = Int32(bytes[0] % 4)
    let output = Array(bytes.dropFirst())
    let termination = ChildProcess.Termination(reason: .exited(status), standardOutput: output, standardError: [])
    let finding = ExternalPlugin.finding(from: termination, plugin: "fuzz-plugin")
    if finding.outcome == .fixed {
        fatalError("a plugin's output was read as 'fixed'")
    }
    let looksLikeJSON = termination.outputText.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{")
    if status != 0, looksLikeJSON, finding.outcome != .error {
        fatalError("a JSON result with exit status \(status) was read as '\(finding.outcome.rawValue)'")
    }
    return 0
}
