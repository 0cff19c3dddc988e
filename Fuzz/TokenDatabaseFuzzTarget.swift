// libFuzzer target: the token database (`Checks/profiles/sscc-tokens.json`) as `TokenDatabase.decode` reads it
// must never crash or hang; bad input is a thrown `TokenDatabaseError`. A database that decoded has unique,
// non-empty ids and at least one model, each of whose ATR patterns finds a model when looked up.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func tokenDatabaseFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(bytes: start, count: count)
    let database: TokenDatabase
    do {
        database = try TokenDatabase.decode(data)
    } catch {
        _ = error.errorDescription
        _ = error.chineseDescription
        return 0
    }
    if database.models.isEmpty {
        fatalError("a token database without models decoded")
    }
    if Set(database.models.map(\.id)).count != database.models.count {
        fatalError("a token database with duplicate ids decoded")
    }
    for model in database.models {
        if model.id.isEmpty { fatalError("a token model with an empty id decoded") }
        if database.model(id: model.id) == nil { fatalError("token model '\(model.id)' is not found by its id") }
        for pattern in model.atrs {
            if pattern.mask.map({ $0.count != pattern.value.bytes.count }) == true {
                fatalError("an ATR mask of another length than its ATR decoded")
            }
            if database.model(matching: pattern.value) == nil {
                fatalError("ATR \(pattern.value.hex) of '\(model.id)' matches no model")
            }
            if ATR(hex: pattern.value.hex) != pattern.value {
                fatalError("ATR \(pattern.value.hex) does not read back from its hex form")
            }
        }
        for module in model.modules {
            _ = model.foreignModule(path: "/usr/lib/" + module.fileName, manufacturer: module.manufacturers.first)
            for manufacturer in module.manufacturers { _ = model.isVendorManufacturer(manufacturer) }
        }
        for foreign in model.foreignModules {
            for file in foreign.fileNames { _ = model.foreignModule(path: file) }
        }
        _ = model.usbDevices.map(\.description)
    }
    return 0
}
