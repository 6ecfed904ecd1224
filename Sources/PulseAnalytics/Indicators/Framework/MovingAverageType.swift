/// TA-Lib's moving-average types, with TA-Lib's integer codes (`TA_MAType`), as taken by MA, MACDEXT, APO, PPO,
/// BBANDS and STOCHRSI.
///
/// MAMA (code 7) needs two extra parameters TA-Lib's MA passes implicitly; it is not implemented and is rejected
/// wherever a type is parsed.
public enum MovingAverageType: Int, Sendable, Codable, CaseIterable {
    case sma = 0, ema, wma, dema, tema, trima, kama, mama, t3

    /// The types this library computes.
    public static let supported: [MovingAverageType] = allCases.filter { $0 != .mama }

    /// The valid choices, for messages.
    public static var choices: String {
        supported.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", ")
    }

    /// TA-Lib's name of the type.
    public var name: String {
        switch self {
        case .sma: return "SMA"
        case .ema: return "EMA"
        case .wma: return "WMA"
        case .dema: return "DEMA"
        case .tema: return "TEMA"
        case .trima: return "TRIMA"
        case .kama: return "KAMA"
        case .mama: return "MAMA"
        case .t3: return "T3"
        }
    }

    /// Parses TA-Lib's integer code or the type's name (any case); nil for unknown or unsupported types.
    public init?<S: StringProtocol>(code: S) {
        if let number = Int(code), let type = MovingAverageType(rawValue: number), type != .mama {
            self = type
            return
        }
        let upper = code.uppercased()
        guard let type = MovingAverageType.supported.first(where: { $0.name == upper }) else { return nil }
        self = type
    }
}
