// libFuzzer target: a profile (`Checks/profiles/sscc.json`) as `ProfileLoader` reads it — `decode`, then
// `validate`, the two steps of `ProfileLoader.load` after the file is read — must never crash or hang; bad
// input is a thrown `ProfileLoader.Failure` whose messages can be written in both languages.
import CertDoctorCore
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func profileFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let data = Data(bytes: start, count: count)
    do {
        let profile = try ProfileLoader.decode(data, path: "fuzz.json")
        try ProfileLoader.validate(profile, path: "fuzz.json")
        // A valid profile's gateway pattern is used on every run.
        for example in profile.gatewayNumber.examples where !profile.gatewayNumber.matches(example) {
            fatalError("a validated profile's example \(example) does not match its pattern")
        }
        _ = profile.gatewayNumber.matches("0000000000")
    } catch {
        _ = error.localizedMessage
        _ = error.exitStatus
    }
    return 0
}
