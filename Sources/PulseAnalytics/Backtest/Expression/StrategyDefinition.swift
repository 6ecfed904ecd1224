/// A strategy written as data: up to four conditions in the expression language and the parameters they read,
/// with defaults. The built-in strategies are values of this type (see `Strategy.builtIn`).
public struct StrategyDefinition: Sendable, Equatable {
    /// A parameter of a built-in strategy, with its default.
    public struct Parameter: Sendable, Equatable {
        /// The name the expressions use and `--param` sets.
        /// The name `--strategy` takes (`sma-cross`).
        public let name: String
        /// The value used unless overridden.
        public let defaultValue: Double
        /// What the parameter controls.
        /// One line: what the strategy does.
        public let summary: String

        /// A parameter `name` defaulting to `defaultValue`.
        public init(_ name: String, _ defaultValue: Double, _ summary: String) {
            self.name = name
            self.defaultValue = defaultValue
            self.summary = summary
        }
    }

    public let name: String
    public let summary: String
    /// The parameters its expressions read, with defaults.
    public let parameters: [Parameter]
    /// Open a long position (closing a short one first) when this holds at a bar's close.
    public let longEntry: String?
    /// Close an open long position.
    public let longExit: String?
    /// Open a short position (closing a long one first).
    public let shortEntry: String?
    /// Close an open short position.
    public let shortExit: String?
    /// Whether an entry signal on the side already held closes and re-opens the trade. True for strategies whose
    /// entries are events (crossovers), matching a backtesting.py strategy that calls `buy()` on each signal;
    /// false for level conditions (`rsi < 30` holds for many bars and must not churn one trade per bar).
    public let reentersOnRepeatedEntry: Bool

    /// A strategy from its conditions (nil = never).
    public init(
        name: String, summary: String, parameters: [Parameter], longEntry: String?, longExit: String? = nil,
        shortEntry: String? = nil, shortExit: String? = nil, reentersOnRepeatedEntry: Bool = false
    ) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.longEntry = longEntry
        self.longExit = longExit
        self.shortEntry = shortEntry
        self.shortExit = shortExit
        self.reentersOnRepeatedEntry = reentersOnRepeatedEntry
    }

    /// Parameter defaults by name.
    public var defaults: [String: Double] {
        Dictionary(parameters.map { ($0.name, $0.defaultValue) }, uniquingKeysWith: { first, _ in first })
    }

    /// A multi-line description for `--list-strategies`: name, summary, parameters with defaults, expressions.
    public var listing: String {
        var lines = ["\(name): \(summary)"]
        if !parameters.isEmpty {
            let shown = parameters.map { "\($0.name)=\(Token.format($0.defaultValue)) (\($0.summary))" }
            lines.append("  parameters: " + shown.joined(separator: ", "))
        }
        for (role, text) in [
            ("long entry", longEntry), ("long exit", longExit), ("short entry", shortEntry), ("short exit", shortExit),
        ] {
            if let text { lines.append("  \(role): \(text)") }
        }
        return lines.joined(separator: "\n")
    }
}
