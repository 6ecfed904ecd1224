// libFuzzer target for PulseProtocol's decoders, compiled together with Sources/PulseProtocol by
// scripts/fuzz.sh (one module, so no import). Every input is decoded as every message type and fed to the
// gRPC deframer and the metadata codecs. Decoding may fail, but must never trap, hang or over-allocate (AddressSanitizer and
// libFuzzer's limits watch that), and whatever decodes must re-encode to a fixed point.

/// Decodes `input` as `M`; when that succeeds, checks that encode∘decode is idempotent.
func fuzzMessage<M: ProtoMessage>(_ type: M.Type, _ input: UnsafeRawBufferPointer) {
    guard let message = try? M(serializedBytes: input) else { return }
    let once = message.serializedBytes()
    guard let again = try? M(serializedBytes: once) else {
        fatalError("\(M.self): our own encoding does not decode")
    }
    let twice = again.serializedBytes()
    if once != twice { fatalError("\(M.self): re-encoding is not stable") }
}

let fuzzedMessageTypes: [any ProtoMessage.Type] = [
    GRPCHealthV1.HealthCheckRequest.self, GRPCHealthV1.HealthCheckResponse.self,
    PulseV1.EchoRequest.self, PulseV1.EchoResponse.self, PulseV1.StreamRequest.self, PulseV1.StreamItem.self,
    PulseV1.Timeframe.self, PulseV1.Bar.self, PulseV1.BarSeries.self, PulseV1.Quote.self, PulseV1.Tick.self,
    PulseV1.GetQuoteRequest.self, PulseV1.ListSymbolsRequest.self, PulseV1.SymbolInfo.self,
    PulseV1.ListSymbolsResponse.self, PulseV1.GetBarsRequest.self, PulseV1.LoadSymbolRequest.self,
    PulseV1.LoadSymbolResponse.self, PulseV1.ResumePoint.self, PulseV1.SubscribeQuotesRequest.self,
    PulseV1.SequenceGap.self, PulseV1.QuoteEvent.self,
    PulseV1.IndicatorSpec.self, PulseV1.ComputeIndicatorsRequest.self, PulseV1.IndicatorOutput.self,
    PulseV1.IndicatorSeries.self, PulseV1.ComputeIndicatorsResponse.self, PulseV1.SubscribeIndicatorsRequest.self,
    PulseV1.IndicatorUpdate.self,
    PulseV1.StrategyParameter.self, PulseV1.Strategy.self, PulseV1.Sizing.self, PulseV1.SymbolWeight.self,
    PulseV1.Rebalance.self, PulseV1.BacktestRequest.self, PulseV1.Statistic.self, PulseV1.Trade.self,
    PulseV1.EquityCurve.self, PulseV1.BacktestResult.self, PulseV1.BacktestProgress.self,
    PulseV1.BacktestEvent.self, PulseV1.ParameterRange.self, PulseV1.OptimizeRequest.self,
    PulseV1.OptimizeResult.self,
]

/// Feeds `input` to a deframer in chunks whose sizes the input's first byte chooses, decoding each
/// complete message as a request.
func fuzzDeframer(_ input: UnsafeRawBufferPointer) {
    guard let first = input.first else { return }
    let chunk = Int(first % 13) + 1
    var deframer = GRPCMessageDeframer(maxMessageSize: 4096, messageEncoding: first & 0x80 == 0 ? nil : "gzip")
    var offset = 1
    while offset < input.count {
        let end = min(offset + chunk, input.count)
        deframer.append(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
        offset = end
        do {
            while let body = try deframer.next() {
                if body.count > 4096 { fatalError("deframer returned a message over its limit") }
                _ = try? PulseV1.EchoRequest(serializedBytes: body)
            }
        } catch {
            return  // a stream error ends the stream, as the transport does
        }
        if deframer.bufferedByteCount > 4096 + 5 + chunk { fatalError("deframer buffered beyond its bound") }
    }
}

/// Feeds `input` to the metadata codecs and checks their round trips.
func fuzzMetadata(_ input: UnsafeRawBufferPointer) {
    let bytes = [UInt8](input)
    let text = String(decoding: bytes, as: UTF8.self)
    if let timeout = GRPCTimeout(headerValue: text) {
        guard let again = GRPCTimeout(headerValue: timeout.headerValue), again.nanoseconds >= timeout.nanoseconds else {
            fatalError("grpc-timeout \(text) does not survive formatting")
        }
    }
    if Base64.decode(Base64.encode(bytes)) != bytes { fatalError("base64 round trip failed") }
    _ = Base64.decode(text)
    if GRPCMessageEncoding.percentDecode(GRPCMessageEncoding.percentEncode(text)) != text {
        fatalError("grpc-message round trip failed")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func protocolFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    for type in fuzzedMessageTypes { fuzzMessage(type, input) }
    fuzzDeframer(input)
    fuzzMetadata(input)
    return 0
}
