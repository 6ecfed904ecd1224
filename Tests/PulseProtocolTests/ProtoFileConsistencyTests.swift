import Foundation
import Testing

@testable import PulseProtocol

@Suite("The method table matches the .proto files")
struct ProtoFileConsistencyTests {
    /// Every `rpc` of every service in Protocol/**/*.proto, as `GRPCMethod`s.
    static func methodsInProtoFiles() throws -> [GRPCMethod] {
        let root = GoldenVector.directory.deletingLastPathComponent()
        let files = [
            "pulse/v1/quotes.proto", "pulse/v1/indicators.proto", "pulse/v1/backtests.proto",
            "pulse/v1/diagnostics.proto", "grpc/health/v1/health.proto",
        ]
        var methods: [GRPCMethod] = []
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            let package = try #require(text.firstMatch(of: /package\s+([\w.]+)\s*;/)).1
            let service = try #require(text.firstMatch(of: /service\s+(\w+)\s*\{/)).1
            for match in text.matches(of: /rpc\s+(\w+)\s*\(\s*\w+\s*\)\s*returns\s*\(\s*(stream\s+)?\w+\s*\)/) {
                methods.append(
                    GRPCMethod(
                        service: "\(package).\(service)", name: String(match.1),
                        kind: match.2 == nil ? .unary : .serverStreaming))
            }
        }
        return methods
    }

    @Test("every rpc in the .proto files is in PulseMethods with the same kind, and nothing else is")
    func methodTableMatches() throws {
        let declared = try Self.methodsInProtoFiles()
        #expect(declared.count == 18)
        #expect(Set(declared) == Set(PulseMethods.all))
    }
}
