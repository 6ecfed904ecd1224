/// A backtest that could not run: bad settings, signals that do not fit the bars, or cancellation.
public struct BacktestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case invalidConfiguration, invalidInput, cancelled }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// A setting is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The bars or signals cannot be backtested (length mismatch, unknown parameter, …).
        public static let invalidInput = Code(.invalidInput)
        /// The caller's cancellation check asked the run to stop.
        public static let cancelled = Code(.cancelled)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
