import GRPCCore
import GRPCNIOTransportHTTP2Posix

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one unbuffered line, so a script waiting for it sees it at once.
func writeLine(_ text: String, to fd: Int32) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

// Usage: grpc-swift-peer [--port N]   (0 = any free port; prints `listening on HOST:PORT`)
var port = 0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--port", let value = arguments.popFirst(), let number = Int(value) {
        port = number
    } else {
        writeLine("usage: grpc-swift-peer [--port N]", to: STDERR_FILENO)
        exit(2)
    }
}

let transport = HTTP2ServerTransport.Posix(
    address: .ipv4(host: "127.0.0.1", port: port),
    transportSecurity: .plaintext,
    config: .defaults { $0.http2.maxConcurrentStreams = 256 }
)
try await withGRPCServer(transport: transport, services: [HealthPeer(), DiagnosticsPeer()]) { _ in
    let address = try await transport.listeningAddress
    if let ipv4 = address.ipv4 {
        writeLine("listening on \(ipv4.host):\(ipv4.port)", to: STDOUT_FILENO)
    } else {
        writeLine("listening on \(address)", to: STDOUT_FILENO)
    }
    // Serve until killed: the benchmark script sends SIGTERM.
    while true { try await Task.sleep(for: .seconds(3600)) }
}
