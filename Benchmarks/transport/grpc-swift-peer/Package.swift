// swift-tools-version:6.1
import PackageDescription

// The grpc-swift-2 peer for Benchmarks/transport/run.sh: answers grpc.health.v1.Health/Check and
// pulse.v1.Diagnostics/Echo like `pulse serve`, so h2load can compare the two on the same request.
// A separate package so the main build never compiles swift-nio, swift-nio-http2 or BoringSSL.
let package = Package(
    name: "GRPCSwiftPeer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    ],
    targets: [
        .executableTarget(
            name: "grpc-swift-peer",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ],
            path: "Sources/GRPCSwiftPeer")
    ]
)
