extension TA {
    /// Momentum, TA-Lib's `MOM`: x[i] − x[i − period] (lookback `period`).
    public static func mom(_ x: [Double], period: Int = 10) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "MOM")
        let count = x.count
        return AlignedOutput.make(count: count, begin: period) { out in
            withBase(x) { x in
                for i in period..<count { out[i] = x[i] - x[i - period] }
            }
        }
    }
}

/// Streaming MOM, ROC and ROCP: the change against the value `period` bars back.
struct ChangeState: ValueStepper {
    enum Kind: Sendable, Codable { case momentum, rateOfChange, rateOfChangePercentage }

    private let kind: Kind
    private var window: RingBuffer

    init(_ kind: Kind, period: Int) {
        self.kind = kind
        window = RingBuffer(capacity: period + 1)
    }

    mutating func step(_ x: Double) -> Double {
        window.push(x)
        guard window.isFull else { return .nan }
        let previous = window.oldest
        switch kind {
        case .momentum: return x - previous
        case .rateOfChange: return TA.rateOfChange(x, previous)
        case .rateOfChangePercentage: return TA.rateOfChangePercentage(x, previous)
        }
    }
}
