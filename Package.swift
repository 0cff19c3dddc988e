// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (DESIGN.md): certdoctor → Doctor → (SSCCChecks, Renewal) → (the targets, PKI,
// SmartCard, WindowsRegistry, SSCCProfile) → CertDoctorCore; Reporting → CertDoctorCore. C libraries are wrapped once, each in its own module.
let package = Package(
    name: "certdoctor",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "certdoctor", targets: ["certdoctor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C system libraries and the small shims that wrap their macros and varargs.
        // libcrypto only: certdoctor speaks no TLS (CMP's HTTP client is libcrypto's), and every library linked
        // is loaded and bound at each start, a check's largest cost.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibXSLT", pkgConfig: "libxslt", providers: [.apt(["libxslt1-dev"])]),
        .target(name: "CXMLShims", dependencies: ["CLibXML2", "CLibXSLT"]),
        // No pkgConfig: libpcsclite's .pc adds -pthread, which SwiftPM warns about and drops; the one flag
        // that matters is the include directory, given to SmartCard, the only module that imports it.
        .systemLibrary(name: "CPCSCLite", providers: [.apt(["libpcsclite-dev"])]),
        // No pkgConfig: PKCS#11 modules are loaded with dlopen, and p11-kit-1's .pc would link libp11-kit for a
        // header (shim.h names its directory).
        .systemLibrary(name: "CPKCS11", providers: [.apt(["libp11-kit-dev"])]),

        // Swift modules.
        .target(name: "CSystemShims"),
        .target(name: "CertDoctorCore", dependencies: ["CSystemShims"]),
        .target(name: "PKI", dependencies: ["COpenSSL", "COpenSSLShims"]),
        .target(name: "XMLSupport", dependencies: ["CLibXML2", "CLibXSLT", "CXMLShims"]),
        .target(name: "WindowsRegistry", dependencies: ["CertDoctorCore"]),
        .target(
            name: "SmartCard", dependencies: ["CPCSCLite", "CPKCS11", "XMLSupport"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/include/PCSC"])]
        ),
        // The report schema and stylesheet are compiled into the executable, so writing a report needs no data
        // files. Their one copy is Reports/, which also ships as data; Resources/ holds symlinks to it, since
        // SwiftPM takes resources only from inside the target's directory.
        .target(
            name: "Reporting", dependencies: ["CertDoctorCore", "XMLSupport"],
            resources: [.embedInCode("Resources/certdoctor-report.xsd"), .embedInCode("Resources/certdoctor-report.xsl")]
        ),
        // The SSCC facts (portal, names, controls and versions, the nine errors) live in the profile alone.
        .target(name: "SSCCProfile", dependencies: ["CertDoctorCore"]),
        // What the checks examine, each with typed inputs: the file certificate, the Windows side, the token.
        .target(name: "CertificateTarget", dependencies: ["CertDoctorCore", "PKI", "SSCCProfile"]),
        .target(
            name: "WindowsTarget",
            dependencies: [
                "CertDoctorCore", "PKI", "WindowsRegistry", "XMLSupport", "SSCCProfile",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(name: "TokenTarget", dependencies: ["CertDoctorCore", "SmartCard", "SSCCProfile"]),
        // Only the checks, one per file, and the one list of them.
        .target(
            name: "SSCCChecks",
            dependencies: [
                "CertDoctorCore", "PKI", "WindowsRegistry", "SmartCard", "XMLSupport", "SSCCProfile",
                "CertificateTarget", "WindowsTarget", "TokenTarget",
            ]
        ),
        .target(
            name: "Renewal",
            dependencies: ["CertDoctorCore", "PKI", "SmartCard", "SSCCProfile", "CertificateTarget", "WindowsTarget", "TokenTarget"]
        ),
        .target(
            name: "Doctor",
            dependencies: [
                "CertDoctorCore", "PKI", "WindowsRegistry", "SmartCard", "XMLSupport", "SSCCProfile",
                "CertificateTarget", "WindowsTarget", "TokenTarget", "SSCCChecks", "Renewal",
            ]
        ),
        .executableTarget(
            name: "certdoctor",
            dependencies: [
                "CertDoctorCore", "Doctor", "Renewal", "SSCCProfile", "WindowsTarget", "Reporting", "WindowsRegistry", "PKI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // What the tests share and production never links: the test CA and CMP server, the Wine prefix harness,
        // the seeded generator. Only test targets depend on it.
        .target(name: "TestSupport", dependencies: ["PKI", "COpenSSL", "COpenSSLShims"], path: "Tests/TestSupport"),

        // One test target per module, plus end-to-end tests of the executable.
        .testTarget(name: "CertDoctorCoreTests", dependencies: ["CertDoctorCore", "TestSupport"]),
        .testTarget(name: "PKITests", dependencies: ["PKI", "TestSupport"]),
        .testTarget(name: "XMLSupportTests", dependencies: ["XMLSupport"]),
        .testTarget(name: "WindowsRegistryTests", dependencies: ["WindowsRegistry", "CertDoctorCore", "TestSupport"]),
        .testTarget(name: "SmartCardTests", dependencies: ["SmartCard", "TestSupport"], exclude: ["Emulator"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "CertDoctorCore", "XMLSupport"]),
        .testTarget(
            name: "SSCCChecksTests",
            dependencies: [
                "SSCCChecks", "Doctor", "Renewal", "SSCCProfile", "CertificateTarget", "WindowsTarget", "TokenTarget",
                "CertDoctorCore", "PKI", "WindowsRegistry", "XMLSupport", "SmartCard", "TestSupport",
            ]
        ),
        .testTarget(name: "CLITests", dependencies: ["CertDoctorCore", "PKI", "TestSupport"]),
    ]
)
