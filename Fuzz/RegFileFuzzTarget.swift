// libFuzzer target: the .reg reader (UTF-16LE and CP936) must never crash or hang.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func regFileFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let file = try? RegFileCodec.decode(bytes, fileName: "fuzz.reg") {
        var snapshot = RegistrySnapshot()
        snapshot.apply(file)
        _ = try? RegFileCodec.encode(file)
    }
    return 0
}
