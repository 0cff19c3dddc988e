import CertDoctorCore
import Foundation

/// R15: there is room to renew. Renewal writes the new PFX, archives the old one and keeps a journal, all beside
/// the certificate; a full disk there would stop it half-way. Built in (one `statvfs` through Foundation) rather
/// than the shell example plugin it replaces, whose `sh`, `df` and `awk` were on the critical path of every run.
struct FreeSpaceCheck: Check {
    /// 10 MiB: a PFX, its archived copy and the journal are a few KiB; the margin covers the file system's own.
    static let requiredKiB: UInt64 = 10_240

    static let description = CheckDescription(
        id: "host.free-space",
        title: Localized(zh: "证书目录有足够磁盘空间", en: "Room to write beside the certificate"),
        summary: Localized(zh: "证书所在目录至少有 10 MiB 可用空间。", en: "At least 10 MiB free where the certificate lives."),
        requirements: ["R15"],
        category: "host",
        severity: .advisory,
        facets: [.host],
        examples: [
            CheckExample("pfx/good-3des/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: nil), expect: .pass, "the fixtures' own disk"),
            CheckExample("pfx/no-such-directory/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: nil), expect: .error, "a directory that is not there"),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let directory = Self.directory(context.environment)
        let available: UInt64
        do {
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: directory)
            guard let free = (attributes[.systemFreeSize] as? NSNumber)?.uint64Value else {
                return Finding(.error, Messages.unreadable(directory))
            }
            available = free
        } catch {
            return Finding(.error, Messages.unreadable(directory))
        }
        return Self.finding(directory: directory, availableKiB: available / 1024)
    }

    /// Where renewal writes: the certificate's directory, else the home directory (as the plugin did).
    static func directory(_ environment: Environment) -> String {
        if let pfx = environment.pfxFile { return pfx.deletingLastPathComponent().path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        return home.isEmpty ? "/" : home
    }

    /// The verdict for a measured amount, apart from the file system so that a full disk can be tested.
    static func finding(directory: String, availableKiB: UInt64) -> Finding {
        let evidence = [Evidence("directory", directory, kind: .path), Evidence("freeKiB", String(availableKiB))]
        let amount = readable(kibibytes: availableKiB)
        guard availableKiB >= requiredKiB else {
            return .fail(Localized(zh: "可用空间仅 \(amount)", en: "only \(amount) free"), evidence: evidence, remedy: Messages.freeSome)
        }
        return .pass(Localized(zh: "可用空间 \(amount)", en: "\(amount) free"), evidence: evidence)
    }

    /// "70.2 GiB", "9.9 MiB", as a person reads an amount (the exact KiB stay in the evidence). Rounded down, so
    /// that an amount just under the 10 MiB needed never reads as 10.0.
    static func readable(kibibytes: UInt64) -> String {
        let (value, unit) = kibibytes >= 1_048_576 ? (Double(kibibytes) / 1_048_576, "GiB") : (Double(kibibytes) / 1024, "MiB")
        let tenths = (value * 10).rounded(.down)
        return "\(Int(tenths) / 10).\(Int(tenths) % 10) \(unit)"
    }
}

extension FreeSpaceCheck {
    enum Messages {
        static func unreadable(_ directory: String) -> Localized {
            Localized(zh: "无法读取 \(directory) 的可用空间", en: "cannot read free space of \(directory)")
        }
        static let freeSome = Localized(zh: "清理磁盘，至少留出 10 MiB。", en: "Free at least 10 MiB on that disk.")
    }
}
