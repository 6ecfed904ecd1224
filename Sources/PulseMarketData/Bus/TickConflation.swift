import PulseProtocol

extension PulseV1.Tick {
    /// This tick standing in for `earlier` (an older tick of the same symbol not yet delivered) as well as for
    /// whatever `earlier` already stood in for: the count, summed size and price extremes of every replaced
    /// tick fold into the `conflated…` fields, so a client's candles and VWAP stay exact.
    public func absorbing(_ earlier: PulseV1.Tick) -> PulseV1.Tick {
        var merged = self
        let before = conflated
        merged.conflated = before &+ 1 &+ earlier.conflated
        var high = earlier.price
        var low = earlier.price
        if earlier.conflated > 0 {
            high = max(high, earlier.conflatedHigh)
            low = min(low, earlier.conflatedLow)
        }
        if before > 0 {
            high = max(high, conflatedHigh)
            low = min(low, conflatedLow)
        }
        merged.conflatedSize = conflatedSize + earlier.size + earlier.conflatedSize
        merged.conflatedHigh = high
        merged.conflatedLow = low
        return merged
    }

    /// The tick as one that replaces nothing.
    public var unconflated: PulseV1.Tick {
        var tick = self
        tick.conflated = 0
        tick.conflatedSize = 0
        tick.conflatedHigh = 0
        tick.conflatedLow = 0
        return tick
    }
}
