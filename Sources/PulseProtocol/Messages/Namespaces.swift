/// The messages of the `pulse.v1` protobuf package (Protocol/pulse/v1/*.proto), under their proto names:
/// `PulseV1.BarSeries` is `pulse.v1.BarSeries`. The namespace keeps wire types apart from the domain types
/// of other modules (PulseAnalytics has its own `BarSeries`, `IndicatorSpec`, `BacktestResult`).
public enum PulseV1 {}

/// The messages of the `grpc.health.v1` package (Protocol/grpc/health/v1/health.proto).
public enum GRPCHealthV1 {}

/// Shorthands for the messages the transport's tests and benchmarks use most.
public typealias EchoRequest = PulseV1.EchoRequest
public typealias EchoResponse = PulseV1.EchoResponse
public typealias StreamRequest = PulseV1.StreamRequest
public typealias StreamItem = PulseV1.StreamItem
public typealias HealthCheckRequest = GRPCHealthV1.HealthCheckRequest
public typealias HealthCheckResponse = GRPCHealthV1.HealthCheckResponse
