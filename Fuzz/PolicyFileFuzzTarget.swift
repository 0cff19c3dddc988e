// libFuzzer target: the Registry.pol reader must never crash, and its written form is a fixed
// point (invalid UTF-16 such as a lone surrogate is repaired on read, so the input itself may differ).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func policyFileFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let file = try? PolicyFileCodec.decode(bytes, fileName: "fuzz.pol") else { return 0 }
    let written = PolicyFileCodec.encode(file)
    guard let again = try? PolicyFileCodec.decode(written, fileName: "fuzz.pol"), PolicyFileCodec.encode(again) == written else {
        fatalError("a written Registry.pol changed after a read and a write")
    }
    var snapshot = RegistrySnapshot()
    snapshot.apply(file, scope: .machine)
    return 0
}
