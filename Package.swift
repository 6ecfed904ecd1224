// swift-tools-version:6.0
import PackageDescription

/// One settings array for every Swift target: Swift 6 language mode (strict concurrency) everywhere,
/// and cross-module optimisation so the hot paths of PulseAnalytics and PulseProtocol inline into callers.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

/// PulseAnalytics' recurrences use fused multiply-add (TA-Lib 0.8 does, and exactness needs it). Without a CPU
/// baseline that has FMA, each `addingProduct` becomes a call into libm; release builds on x86-64 therefore target
/// Haswell (x86-64-v3: FMA, AVX2), so the release binary needs a 2013-or-later x86-64 CPU. Debug builds stay
/// baseline and compute the same values, only slower.
#if arch(x86_64)
    let analyticsSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release))]
#else
    let analyticsSettings: [SwiftSetting] = []
#endif

/// The transport's per-frame state lives in classes confined to one loop thread; release builds skip the dynamic
/// exclusivity checks on it (measured at about 5 % of the server's CPU under h2load: `swift_beginAccess`,
/// `AccessSet::insert`, `swift_endAccess`). Debug builds, where every test runs first, keep them.
let transportSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "PulseTrader",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pulse", targets: ["pulse"]),
        .library(name: "PulseClient", targets: ["PulseClient"]),
        .library(name: "PulseProtocol", targets: ["PulseProtocol"]),
        .library(name: "PulseAnalytics", targets: ["PulseAnalytics"]),
        .executable(name: "pulse-load", targets: ["pulse-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // System libraries: one target per C library, shim headers only.
        .systemLibrary(
            name: "CNghttp2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"]), .brew(["nghttp2"])]),
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .systemLibrary(
            name: "CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),

        .target(name: "PulseProtocol", swiftSettings: swiftSettings),
        // Linux system calls Glibc does not export (epoll, eventfd, timerfd): headers only, nothing to link.
        .systemLibrary(name: "CPulseLinux"),
        .target(
            name: "PulseIO",
            dependencies: [
                "CPulseLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "PulseRPC",
            dependencies: [
                "PulseProtocol", "PulseIO", "CNghttp2", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings + transportSettings),
        .target(
            name: "PulseStore",
            dependencies: ["PulseIO", "CLibPQ", "CHiredis", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Migrations/SQL")],
            swiftSettings: swiftSettings),
        .target(
            name: "PulseMarketData",
            dependencies: ["PulseIO", "PulseStore", "PulseProtocol", "PulseAnalytics", "CCurl"],
            swiftSettings: swiftSettings),
        .target(
            name: "PulseAnalytics", exclude: ["Backtest/Expression/LANGUAGE.md", "Backtest/ENGINE.md"],
            swiftSettings: swiftSettings + analyticsSettings),
        // Prometheus metrics (the gRPC interceptor, the parts' counters) and access logs.
        .target(
            name: "PulseMetrics",
            dependencies: [
                "PulseIO", "PulseRPC", "PulseProtocol",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // `/metrics` over HTTP/1.1 on Hummingbird, as a lifecycle part.
        .target(
            name: "PulseMetricsHTTP",
            dependencies: [
                "PulseMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "PulseServer",
            dependencies: [
                "PulseProtocol", "PulseIO", "PulseRPC", "PulseAnalytics", "PulseStore", "PulseMarketData",
                "PulseMetrics", "PulseMetricsHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "PulseClient",
            dependencies: ["PulseProtocol", "PulseIO", "PulseRPC"],
            path: "clients/swift/Sources/PulseClient",
            swiftSettings: swiftSettings),
        .target(
            name: "PulseBridge",
            dependencies: ["PulseClient", "PulseProtocol", "PulseMarketData", "PulseAnalytics"],
            swiftSettings: swiftSettings),
        // `pulse gateway`: HTTP/1.1 on Hummingbird, each request turned into an HTTP API event for PulseBridge.
        .target(
            name: "PulseGateway",
            dependencies: [
                "PulseBridge", "PulseClient", "PulseMarketData", "PulseProtocol", "PulseStore", "PulseIO", "PulseMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // `pulse lambda` (the custom runtime's bootstrap: Runtime API loop, bridge/SQS/ingest handlers) and
        // `pulse pusher` (tick fan-out through API Gateway's @connections).
        .target(
            name: "PulseLambda",
            dependencies: [
                "PulseBridge", "PulseClient", "PulseMarketData", "PulseStore", "PulseProtocol", "PulseIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "pulse",
            dependencies: [
                "PulseServer", "PulseAnalytics", "PulseClient", "PulseBridge", "PulseGateway", "PulseStore", "PulseIO", "PulseMarketData",
                "PulseLambda",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // The load-testing harness: a library (schema, JSON→protobuf, load models, reports) and its CLI.
        .target(
            name: "PulseLoad",
            dependencies: [
                "PulseProtocol", "PulseIO", "PulseRPC",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The WebSocket scenario's client (the gateway's pushes); NIO is in the build for the gateway anyway.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "clients/load/Sources/PulseLoad",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "pulse-load",
            dependencies: ["PulseLoad"],
            path: "clients/load/Sources/pulse-load",
            swiftSettings: swiftSettings),

        .testTarget(
            name: "PulseIOTests",
            dependencies: [
                "PulseIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "PulseProtocolTests", dependencies: ["PulseProtocol"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseRPCTests",
            dependencies: [
                "PulseRPC", "PulseIO", "PulseClient", "PulseServer", "PulseProtocol", "CNghttp2",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "PulseAnalyticsTests", dependencies: ["PulseAnalytics"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseServerTests",
            dependencies: [
                "PulseServer", "PulseClient", "PulseRPC", "PulseIO", "PulseProtocol", "PulseAnalytics", "PulseMarketData",
                "PulseStore", "PulseTestSupport", "PulseMetrics", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // Test helpers shared by test targets: private Redis (and later PostgreSQL) servers started through the
        // project's own scripts.
        .target(
            name: "PulseTestSupport", dependencies: ["PulseStore", "PulseIO"], path: "Tests/PulseTestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseMarketDataTests",
            dependencies: ["PulseMarketData", "PulseAnalytics", "PulseStore", "PulseIO", "PulseTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseStoreTests",
            dependencies: ["PulseStore", "PulseIO", "PulseMarketData", "PulseAnalytics", "PulseTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseBridgeTests",
            dependencies: ["PulseBridge", "PulseGateway", "PulseClient", "PulseMarketData", "PulseProtocol"],
            exclude: ["Events"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseLambdaTests",
            dependencies: [
                "PulseLambda", "PulseBridge", "PulseClient", "PulseMarketData", "PulseStore", "PulseIO",
                "PulseTestSupport",
            ],
            exclude: ["Events"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PulseLoadTests",
            dependencies: [
                "PulseLoad", "PulseRPC", "PulseIO", "PulseProtocol", "PulseServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
    ]
)
