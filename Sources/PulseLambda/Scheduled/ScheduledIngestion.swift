import Logging
import PulseBridge
import PulseClient
import PulseMarketData
import PulseProtocol

/// An EventBridge (CloudWatch Events) scheduled event: `{"detail-type": "Scheduled Event", "source":
/// "aws.events", "time": …, "resources": [rule ARN]}`.
public struct ScheduledEvent: Sendable, Equatable {
    public var id: String
    public var time: String
    public var rule: String?

    public static func decode(_ json: JSONValue) throws(LambdaFunctionError) -> ScheduledEvent {
        guard json["detail-type"]?.string == "Scheduled Event", json["source"]?.string == "aws.events" else {
            throw LambdaFunctionError.badEvent(
                #"not an EventBridge scheduled event ("detail-type": "Scheduled Event")"#)
        }
        var rule: String?
        if let resources = json["resources"], case .array(let list) = resources { rule = list.first?.string }
        return ScheduledEvent(id: json["id"]?.string ?? "", time: json["time"]?.string ?? "", rule: rule)
    }
}

/// The scheduled ingestion Lambda: on each tick of its schedule, asks the server to load each symbol
/// (`LoadSymbol`: new bars since the last load, or the next months of a resumable backfill; the server's
/// shared Alpha Vantage pacer keeps every caller inside the key's quota). The symbols are `symbols`, or every
/// tracked one when empty. One symbol failing does not stop the others; the invocation fails only when every
/// symbol did, so EventBridge's retry is for an outage, not for one bad symbol.
public struct ScheduledIngestion: LambdaHandler {
    public let client: PulseClient
    public var symbols: [String]
    public var source: PulseV1.DataSource
    public var callTimeout: Duration = .seconds(20)
    public var logger = Logger(label: "pulse.lambda.ingest")

    public init(client: PulseClient, symbols: [String] = [], source: PulseV1.DataSource = .unspecified) {
        self.client = client
        self.symbols = symbols
        self.source = source
    }

    public func handle(_ payload: [UInt8], context: LambdaContext) async throws -> [UInt8] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(payload)
        } catch {
            throw LambdaFunctionError.badEvent("the event is not JSON: \(error)")
        }
        let event = try ScheduledEvent.decode(json)
        var wanted = symbols
        if wanted.isEmpty {
            do throws(RPCError) {
                wanted = try await client.quotes.symbols(options: LambdaCalls.options(callTimeout, context)).map(
                    \.symbol)
            } catch {
                throw LambdaFunctionError(type: "Function.UpstreamFailed", message: BridgeError(error).message)
            }
        }
        var results: [JSONValue] = []
        var failures = 0
        for symbol in wanted {
            do throws(RPCError) {
                let loaded = try await client.loading.loadSymbol(
                    symbol: symbol, source: source, options: LambdaCalls.options(callTimeout, context))
                results.append(
                    .object([
                        JSONMember(name: "symbol", value: .string(symbol)),
                        JSONMember(name: "loaded", value: JSONRendering.loaded(loaded)),
                    ]))
            } catch {
                failures += 1
                let failure = BridgeError(error)
                logger.warning("scheduled load of \(symbol) failed: \(failure.code.name) \(failure.message)")
                results.append(
                    .object([JSONMember(name: "symbol", value: .string(symbol))] + (failure.json.members ?? [])))
            }
        }
        if failures > 0, failures == wanted.count {
            throw LambdaFunctionError(
                type: "Function.UpstreamFailed", message: "every scheduled load failed (\(failures) symbols)")
        }
        return Array(
            JSONValue.object([
                JSONMember(name: "schedule", value: .string(event.rule ?? "")),
                JSONMember(name: "time", value: .string(event.time)),
                JSONMember(name: "symbols", value: .array(results)),
            ]).json.utf8)
    }
}
