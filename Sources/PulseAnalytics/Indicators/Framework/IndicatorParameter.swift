/// One parameter of an indicator function, as TA-Lib defines it: its name, kind, valid range and default.
public struct IndicatorParameter: Sendable {
    /// What values a parameter takes.
    public enum Kind: Sendable, Equatable {
        /// A whole number in a range (periods).
        case integer(ClosedRange<Int>)
        /// A real number in a range (multipliers, factors).
        case real(ClosedRange<Double>)
        /// A moving-average type, as TA-Lib's integer code (`0` SMA … `8` T3) or its name.
        case movingAverageType
    }

    /// TA-Lib's parameter name (`timeperiod`, `nbdevup`, `fastmatype`, …).
    public let name: String
    public let kind: Kind
    /// The value used when the parameter is omitted (TA-Lib's default).
    public let defaultValue: Double

    public init(name: String, kind: Kind, defaultValue: Double) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
    }

    /// A period parameter; TA-Lib's usual range is 2...100000.
    public static func period(
        _ name: String = "timeperiod", default value: Int, range: ClosedRange<Int> = 2...100_000
    ) -> IndicatorParameter {
        IndicatorParameter(name: name, kind: .integer(range), defaultValue: Double(value))
    }

    /// A real parameter; TA-Lib's usual range is ±3e37.
    public static func real(
        _ name: String, default value: Double, range: ClosedRange<Double> = -3e37...3e37
    ) -> IndicatorParameter {
        IndicatorParameter(name: name, kind: .real(range), defaultValue: value)
    }

    /// A moving-average type parameter.
    public static func movingAverageType(
        _ name: String = "matype", default value: MovingAverageType = .sma
    ) -> IndicatorParameter {
        IndicatorParameter(name: name, kind: .movingAverageType, defaultValue: Double(value.rawValue))
    }

    /// The valid values, for messages and `--list`.
    public var rangeDescription: String {
        switch kind {
        case .integer(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .real(let r): return "a number in \(r.lowerBound)...\(r.upperBound)"
        case .movingAverageType: return "a moving-average type: " + MovingAverageType.choices
        }
    }

    /// The default as it would be typed.
    public var defaultDescription: String {
        switch kind {
        case .integer, .movingAverageType: return String(Int(defaultValue))
        case .real: return defaultValue.description
        }
    }

    /// Parses one typed value, checking the range.
    func parse(_ text: Substring, function: String) throws(IndicatorError) -> Double {
        let trimmed = text.trimmingSpaces()
        func fail() -> IndicatorError {
            IndicatorError("\(function): parameter \(name) must be \(rangeDescription); got '\(trimmed)'")
        }
        switch kind {
        case .integer(let range):
            guard let value = Int(trimmed), range.contains(value) else { throw fail() }
            return Double(value)
        case .real(let range):
            guard let value = Double(trimmed), value.isFinite, range.contains(value) else { throw fail() }
            return value
        case .movingAverageType:
            guard let type = MovingAverageType(code: trimmed) else { throw fail() }
            return Double(type.rawValue)
        }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
