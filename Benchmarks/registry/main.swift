// Benchmark driver (main.swift) compiled together with the WindowsRegistry sources (see run.sh): the same code
// path as `certdoctor registry query`, without the rest of the executable.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: driver parse|query|write FILE [KEY]\n".utf8))
    exit(64)
}
let path = arguments[2]
do {
    switch arguments[1] {
    case "parse":
        let hive = try WineHiveCodec.decode(try RegistryFileReader.read(path), fileName: path)
        let counts = hive.root.treeCounts
        FileHandle.standardOutput.write(Data("keys \(counts.keys) values \(counts.values)\n".utf8))
    case "query":
        // FILE is a Wine prefix directory here, as `registry query --wine-prefix DIR KEY` gets it.
        let key = try RegistryPath(parsing: arguments[3])
        let snapshot = try RegistryLoader.load(.winePrefix(path), for: key, bitness: .native64)
        FileHandle.standardOutput.write(Data(try RegistryPresenter.query(snapshot, path: arguments[3], valueName: nil, format: .text)))
    case "write":
        var hive = try WineHiveCodec.decode(try RegistryFileReader.read(path), fileName: path)
        hive.root.withKey(creating: ["Software", "CertDoctorBenchmark"]) { $0.setValue(RegistryValue(name: "v", dword: 1)) }
        try AtomicHiveWriter.write(WineHiveCodec.encode(hive), to: path + ".out")
    default:
        exit(64)
    }
} catch let error as RegistryError {
    FileHandle.standardError.write(Data(((error.errorDescription ?? "") + "\n").utf8))
    exit(error.exitCode)
}
