#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A live indicator a server holds per (symbol, timeframe, spec): updated one bar at a time in O(1), with outputs
/// bit-identical to the batch computation, and checkpointable so it can be resumed elsewhere.
public struct IndicatorInstance: Sendable {
    public let spec: IndicatorSpec
    private var state: any StreamingIndicator

    init(spec: IndicatorSpec, state: any StreamingIndicator) {
        self.spec = spec
        self.state = state
    }

    /// Feeds the next bar; returns its outputs in TA-Lib's output order (NaN during the lookback).
    public mutating func update(_ bar: BarInput) -> IndicatorOutput { state.update(bar) }

    /// The whole state as JSON bytes (`{"version":1,"indicator":"rsi:14","state":{...}}`), restorable with
    /// `IndicatorRegistry.restore(from:)`.
    public func checkpoint() -> [UInt8] {
        func encode<S: StreamingIndicator>(_ state: S) -> [UInt8] {
            let envelope = IndicatorCheckpoint.Envelope(
                version: IndicatorCheckpoint.version, indicator: spec.text, state: state)
            // Encoding plain numbers and arrays cannot fail.
            return Array(try! IndicatorCheckpoint.encoder().encode(envelope))
        }
        return encode(state)
    }
}

/// The checkpoint format: a versioned JSON envelope around the Codable state.
enum IndicatorCheckpoint {
    static let version = 1

    struct Envelope<State: Codable>: Codable {
        var version: Int
        var indicator: String
        var state: State
    }

    struct Header: Decodable {
        var version: Int
        var indicator: String
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    static func header(_ bytes: [UInt8]) throws(IndicatorError) -> Header {
        let header: Header
        do {
            header = try decoder().decode(Header.self, from: Data(bytes))
        } catch {
            throw IndicatorError("not an indicator checkpoint: \(error)")
        }
        guard header.version == version else {
            throw IndicatorError("checkpoint version \(header.version) is not supported (expected \(version))")
        }
        return header
    }
}
