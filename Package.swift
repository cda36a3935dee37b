// swift-tools-version:6.0
// Herald: notification-routing daemon. No SwiftPM package dependencies: Foundation,
// Dispatch and Debian's C libraries only (see ../shared/DESIGN.md).
import PackageDescription

/// Adapters import their C module with `internal import`; strict concurrency everywhere.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
    ],
    targets: [
        // MARK: C system libraries (module map + shim header each)
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgreSQL", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // MARK: Pure core and shared support
        .target(name: "HeraldCore", swiftSettings: swiftSettings),
        .target(name: "HeraldSupport", swiftSettings: swiftSettings),

        // MARK: Adapters (never import each other; each lists exactly what it imports)
        .target(name: "HeraldStore", dependencies: ["HeraldCore", "HeraldSupport", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "HeraldDelivery", dependencies: ["HeraldSupport", "CCurl", "COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "HeraldServer", dependencies: ["HeraldSupport", "CMicroHTTPD"], swiftSettings: swiftSettings),
        // The PostgreSQL StateStore (issue #20): HeraldStore keeps the interface, this implements it.
        .target(name: "HeraldPostgres", dependencies: ["HeraldStore", "HeraldSupport", "CPostgreSQL"], swiftSettings: swiftSettings),

        // MARK: Pages for people (HTML built escaped, forms, sessions, CSRF), mounted on HeraldServer's router
        .target(name: "HeraldWeb", dependencies: ["HeraldServer"], swiftSettings: swiftSettings),

        // MARK: Wiring and command line
        .target(name: "HeraldDaemon", dependencies: ["HeraldCore", "HeraldSupport", "HeraldStore", "HeraldPostgres", "HeraldDelivery", "HeraldServer", "HeraldWeb"], swiftSettings: swiftSettings),
        .executableTarget(name: "herald", dependencies: ["HeraldDaemon", "HeraldCore", "HeraldSupport"], swiftSettings: swiftSettings),

        // MARK: Benchmarks (release-built programs that print figures)
        .executableTarget(name: "herald-bench", dependencies: ["HeraldCore"], path: "Benchmarks/Sources/herald-bench", swiftSettings: swiftSettings),

        // MARK: Fuzzing (libFuzzer harnesses; a plain build replays a corpus)
        .executableTarget(name: "herald-fuzz", dependencies: ["HeraldCore"], path: "Fuzz/Sources/herald-fuzz", swiftSettings: swiftSettings),

        // MARK: Tests
        .target(name: "HeraldTestKit", dependencies: ["HeraldCore"], path: "Tests/HeraldTestKit", swiftSettings: swiftSettings),
        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldStoreTests", dependencies: ["HeraldStore", "HeraldSupport", "HeraldPostgres", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldPostgresTests", dependencies: ["HeraldPostgres", "HeraldStore", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldServerTests", dependencies: ["HeraldServer", "HeraldSupport", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldDeliveryTests", dependencies: ["HeraldDelivery", "HeraldSupport", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldDaemonTests", dependencies: ["HeraldDaemon", "HeraldCore", "HeraldStore", "HeraldPostgres", "HeraldSupport", "HeraldTestKit"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldWebTests", dependencies: ["HeraldWeb", "HeraldServer"], swiftSettings: swiftSettings),
        .testTarget(name: "HeraldAcceptanceTests", dependencies: ["HeraldTestKit"], swiftSettings: swiftSettings),
    ]
)
