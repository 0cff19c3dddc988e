import Foundation
#if canImport(CertDoctorCore)
import CertDoctorCore
#endif

/// Replaces a hive file atomically through the foundation's `AtomicFile` (temp file in the same
/// directory, fsync, rename), so a crash leaves the old hive or the new one, never half of each.
enum AtomicHiveWriter {
    static func write(_ bytes: [UInt8], to path: String) throws {
        #if canImport(CertDoctorCore)
        do {
            // Wine creates its hives 0644; a new one should match.
            try AtomicFile.write(bytes, to: URL(fileURLWithPath: path), newFileMode: 0o644)
        } catch {
            throw RegistryError.writeFailed(path: path, reason: error.errorDescription ?? "\(error)")
        }
        #else
        // Stand-alone builds of the module's sources (benchmark, fuzzing) have no CertDoctorCore.
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RegistryError.writeFailed(path: path, reason: "\(error)")
        }
        #endif
    }
}
