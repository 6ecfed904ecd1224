import Foundation
import PulseClient
import PulseProtocol
import PulseRPC
import PulseServer
import Testing

/// TLS between the project's server and its Swift client, with a CA and certificates made by the `openssl` command
/// line at test time (OpenSSL's own tool, not our code): verification against the CA file, the name checked and
/// sent as SNI, calls and streams over TLS, a reload for new connections.
@Suite("TLS end to end (openssl-made CA and certificates)")
struct TLSEndToEndTests {
    /// A CA and a certificate for `localhost`/127.0.0.1 signed by it, in a fresh folder.
    struct Certificates {
        let folder: URL
        var ca: String { folder.appendingPathComponent("ca.pem").path }
        var certificate: String { folder.appendingPathComponent("server.pem").path }
        var key: String { folder.appendingPathComponent("server.key").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
                to: folder.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
            let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            try Self.openssl(
                ["req", "-x509"] + curve + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pulse-test-ca",
                ], in: folder)
            try Self.openssl(
                ["req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: folder)
            try Self.openssl(
                [
                    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
                ], in: folder)
        }

        static func openssl(_ arguments: [String], in folder: URL) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TLSError("openssl \(arguments.joined(separator: " ")) failed")
            }
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    static func services(_ registry: HealthStatusRegistry) -> (ServerProbe) -> [any RPCService] {
        { _ in [HealthService(registry: registry), DiagnosticsService()] }
    }

    @Test func callsAndStreamsOverTLSWithTheCertificateVerified() async throws {
        let files = try Certificates()
        defer { files.remove() }
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "")
        let context = try TLSServerContext(certificatePath: files.certificate, keyPath: files.key)
        try await ServerFixture.withServer({ $0.tls = context }, services: Self.services(registry)) { port, _, _ in
            let tls = try TLSClientContext(serverName: "localhost", caFile: files.ca)
            let client = try PulseClient(host: "127.0.0.1", port: port, tls: tls)
            #expect(try await client.health.check() == .serving)
            #expect(try await client.diagnostics.echo(Array(repeating: 7, count: 100_000)).count == 100_000)
            var count = 0
            for try await _ in client.diagnostics.stream(count: 500, payloadSize: 256) { count += 1 }
            #expect(count == 500)
            await client.close()

            // The same server after a reload: new connections are served, by the reloaded context.
            try context.reload()
            let again = try PulseClient(host: "127.0.0.1", port: port, tls: tls)
            #expect(try await again.health.check() == .serving)
            await again.close()
        }
    }

    @Test func aCertificateForAnotherNameOrAnUnknownCAIsRefused() async throws {
        let files = try Certificates()
        defer { files.remove() }
        let other = try Certificates()
        defer { other.remove() }
        let registry = HealthStatusRegistry()
        let context = try TLSServerContext(certificatePath: files.certificate, keyPath: files.key)
        try await ServerFixture.withServer({ $0.tls = context }, services: Self.services(registry)) { port, _, _ in
            for tls in [
                try TLSClientContext(serverName: "pulse.example", caFile: files.ca),  // the name does not match
                try TLSClientContext(serverName: "localhost", caFile: other.ca),  // signed by a CA we do not trust
            ] {
                let client = try PulseClient(host: "127.0.0.1", port: port, connectTimeout: .seconds(20), tls: tls)
                do {
                    _ = try await client.health.check()
                    Issue.record("an unverified server was trusted")
                } catch let error as RPCError {
                    #expect(error.code == .unavailable)
                    #expect(error.message.contains("certificate verify failed"), "\(error.message)")
                }
                await client.close()
            }
        }
    }

    @Test func filesThatDoNotFitAreExplained() throws {
        let files = try Certificates()
        defer { files.remove() }
        let other = try Certificates()
        defer { other.remove() }
        #expect(throws: TLSError.self) { try TLSServerContext(certificatePath: files.certificate, keyPath: other.key) }
        #expect(throws: TLSError.self) { try TLSServerContext(certificatePath: "/nonexistent.pem", keyPath: files.key) }
    }
}
