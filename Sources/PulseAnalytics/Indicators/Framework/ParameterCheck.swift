/// Range checks for the public batch functions (the registry validates typed requests the same way).
enum ParameterCheck {
    static func period(
        _ value: Int, _ name: String = "timeperiod", in range: ClosedRange<Int> = 2...100_000, function: String
    ) throws(IndicatorError) {
        guard range.contains(value) else {
            throw IndicatorError(
                "\(function): parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound); "
                    + "got \(value)")
        }
    }

    static func real(
        _ value: Double, _ name: String, in range: ClosedRange<Double> = -3e37...3e37, function: String
    ) throws(IndicatorError) {
        guard value.isFinite, range.contains(value) else {
            throw IndicatorError(
                "\(function): parameter \(name) must be a number in \(range.lowerBound)...\(range.upperBound); "
                    + "got \(value)")
        }
    }

    static func maType(_ type: MovingAverageType, _ name: String = "matype", function: String) throws(IndicatorError) {
        guard type != .mama else {
            throw IndicatorError(
                "\(function): parameter \(name) must be \(MovingAverageType.choices); MAMA is not supported")
        }
    }
}

/// Streaming adapter: a close-only `ValueStepper` as a `StreamingIndicator` with one output.
struct CloseIndicator<Stepper: ValueStepper>: StreamingIndicator {
    var stepper: Stepper
    init(_ stepper: Stepper) { self.stepper = stepper }
    mutating func update(_ bar: BarInput) -> IndicatorOutput { IndicatorOutput(stepper.step(bar.close)) }
}
