import Foundation
import Testing

@testable import PulseProtocol

@Suite("Golden vectors (Protocol/vectors, produced by protobuf's reference implementation)")
struct GoldenVectorTests {
    @Test("our encoding equals the golden bytes", arguments: GoldenVectors.all)
    func encodeMatchesGolden(vector: GoldenVector) throws {
        let golden = try vector.golden()
        #expect(
            vector.encoded() == golden,
            "\(vector.name): ours \(hexString(vector.encoded())) golden \(hexString(golden))")
    }

    @Test("decoding the golden bytes gives the value, and re-encoding gives the bytes", arguments: GoldenVectors.all)
    func decodeGolden(vector: GoldenVector) throws {
        let golden = try vector.golden()
        #expect(try vector.decodesToValue(golden))
        #expect(try vector.reencoded(golden) == golden)
    }

    @Test("every .hex file has a Swift vector and every Swift vector a .hex file")
    func coverage() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: GoldenVector.directory.path)
            .filter { $0.hasSuffix(".hex") }.map { String($0.dropLast(4)) }
        #expect(Set(files) == Set(GoldenVectors.all.map(\.name)))
        #expect(GoldenVectors.all.count == Set(GoldenVectors.all.map(\.name)).count)
    }

    @Test("a value that differs in one field does not match its vector (the check can fail)")
    func mismatchIsDetected() throws {
        let golden = try GoldenVector("Tick", PulseV1.Tick()).golden()
        var changed = try PulseV1.Tick(serializedBytes: golden)
        changed.conflated = 1
        #expect(!(try GoldenVector("Tick", changed).decodesToValue(golden)))
        var nan = try PulseV1.IndicatorOutput(
            serializedBytes: try GoldenVector("IndicatorOutput", PulseV1.IndicatorOutput()).golden())
        nan.values[7] = 0.0  // was -0.0
        #expect(
            !(try GoldenVector("IndicatorOutput", nan).decodesToValue(try GoldenVector("IndicatorOutput", nan).golden()))
        )
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
