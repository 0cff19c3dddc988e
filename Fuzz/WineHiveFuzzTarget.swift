// libFuzzer target: the Wine hive reader must never crash or hang, and the written form of what
// it reads is a fixed point (a write, a read and a write give the same bytes). Comparing trees
// instead is too strict: like Wine, the writer drops keys that hold only subkeys, with their times.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func wineHiveFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let hive = try? WineHiveCodec.decode(bytes, fileName: "fuzz.reg") else { return 0 }
    let written = WineHiveCodec.encode(hive)
    guard let again = try? WineHiveCodec.decode(written, fileName: "fuzz.reg"), WineHiveCodec.encode(again) == written else {
        fatalError("a written hive changed after a read and a write")
    }
    return 0
}
