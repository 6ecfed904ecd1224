import Foundation
import Testing

@testable import PulseAnalytics

@Suite struct DevDumpHarness {
    @Test func dump() throws {
        guard let dir = ProcessInfo.processInfo.environment["INDB_DUMP"] else { return }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("in_") }
        for f in files {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            var o = [Double](), h = [Double](), l = [Double](), c = [Double](), v = [Double](), t = [Int64]()
            for line in text.split(separator: "\n") {
                let p = line.split(separator: ",")
                o.append(Double(p[0])!); h.append(Double(p[1])!); l.append(Double(p[2])!)
                c.append(Double(p[3])!); v.append(Double(p[4])!); t.append(Int64(p[5])!)
            }
            var outs: [(String, [Double])] = []
            outs.append(("TRANGE", try TA.trange(high: h, low: l, close: c)))
            outs.append(("ATR", try TA.atr(high: h, low: l, close: c)))
            outs.append(("ATR_1", try TA.atr(high: h, low: l, close: c, timePeriod: 1)))
            outs.append(("NATR", try TA.natr(high: h, low: l, close: c)))
            outs.append(("PLUS_DM", try TA.plusDM(high: h, low: l)))
            outs.append(("MINUS_DM", try TA.minusDM(high: h, low: l)))
            outs.append(("PLUS_DM_1", try TA.plusDM(high: h, low: l, timePeriod: 1)))
            outs.append(("PLUS_DI", try TA.plusDI(high: h, low: l, close: c)))
            outs.append(("MINUS_DI", try TA.minusDI(high: h, low: l, close: c)))
            outs.append(("PLUS_DI_1", try TA.plusDI(high: h, low: l, close: c, timePeriod: 1)))
            outs.append(("ADX", try TA.adx(high: h, low: l, close: c)))
            outs.append(("ADXR", try TA.adxr(high: h, low: l, close: c)))
            outs.append(("SAR", try TA.sar(high: h, low: l)))
            let ar = try TA.aroon(high: h, low: l)
            outs.append(("AROON_down", ar.aroonDown))
            outs.append(("AROON_up", ar.aroonUp))
            outs.append(("AROONOSC", try TA.aroonOscillator(high: h, low: l)))
            let st = try TA.stoch(high: h, low: l, close: c)
            outs.append(("STOCH_k", st.slowK))
            outs.append(("STOCH_d", st.slowD))
            let sf = try TA.stochf(high: h, low: l, close: c)
            outs.append(("STOCHF_k", sf.fastK))
            outs.append(("STOCHF_d", sf.fastD))
            outs.append(("WILLR", try TA.willr(high: h, low: l, close: c)))
            outs.append(("CCI", try TA.cci(high: h, low: l, close: c)))
            outs.append(("ULTOSC", try TA.ultosc(high: h, low: l, close: c)))
            outs.append(("BOP", try TA.bop(open: o, high: h, low: l, close: c)))
            outs.append(("OBV", try TA.obv(close: c, volume: v)))
            outs.append(("AD", try TA.ad(high: h, low: l, close: c, volume: v)))
            outs.append(("ADOSC", try TA.adosc(high: h, low: l, close: c, volume: v)))
            outs.append(("MFI", try TA.mfi(high: h, low: l, close: c, volume: v)))
            outs.append(("MIDPRICE", try TA.midprice(high: h, low: l)))
            let st2 = try TA.stoch(high: h, low: l, close: c, fastKPeriod: 14, slowKPeriod: 3, slowDPeriod: 5)
            outs.append(("STOCH2_k", st2.slowK))
            outs.append(("STOCH2_d", st2.slowD))
            let st3 = try TA.stoch(high: h, low: l, close: c, fastKPeriod: 1, slowKPeriod: 1, slowDPeriod: 1)
            outs.append(("STOCH3_k", st3.slowK))
            outs.append(("STOCH3_d", st3.slowD))
            outs.append(
                ("ULTOSC2", try TA.ultosc(high: h, low: l, close: c, timePeriod1: 5, timePeriod2: 3, timePeriod3: 10)))
            outs.append(
                ("ULTOSC3", try TA.ultosc(high: h, low: l, close: c, timePeriod1: 1, timePeriod2: 1, timePeriod3: 1)))
            outs.append(("SAR2", try TA.sar(high: h, low: l, acceleration: 0.05, maximum: 0.1)))
            outs.append(("SAR3", try TA.sar(high: h, low: l, acceleration: 0.3, maximum: 0.2)))
            outs.append(("ADX2", try TA.adx(high: h, low: l, close: c, timePeriod: 2)))
            outs.append(("ADX30", try TA.adx(high: h, low: l, close: c, timePeriod: 30)))
            outs.append(("ADXR5", try TA.adxr(high: h, low: l, close: c, timePeriod: 5)))
            outs.append(("PLUS_DI2", try TA.plusDI(high: h, low: l, close: c, timePeriod: 2)))
            outs.append(("MINUS_DI1", try TA.minusDI(high: h, low: l, close: c, timePeriod: 1)))
            outs.append(("MINUS_DM1", try TA.minusDM(high: h, low: l, timePeriod: 1)))
            outs.append(("AROON2", try TA.aroon(high: h, low: l, timePeriod: 2).aroonUp))
            outs.append(("AROONOSC3", try TA.aroonOscillator(high: h, low: l, timePeriod: 3)))
            outs.append(("CCI2", try TA.cci(high: h, low: l, close: c, timePeriod: 2)))
            outs.append(("MFI2", try TA.mfi(high: h, low: l, close: c, volume: v, timePeriod: 2)))
            outs.append(("WILLR2", try TA.willr(high: h, low: l, close: c, timePeriod: 2)))
            outs.append(("ADOSC2", try TA.adosc(high: h, low: l, close: c, volume: v, fastPeriod: 10, slowPeriod: 3)))
            outs.append(("ATR2", try TA.atr(high: h, low: l, close: c, timePeriod: 2)))
            outs.append(("NATR1", try TA.natr(high: h, low: l, close: c, timePeriod: 1)))
            outs.append(("MIDPRICE2", try TA.midprice(high: h, low: l, timePeriod: 2)))
            var s = ""
            for (name, vals) in outs {
                s += name + "," + vals.map { "\($0)" }.joined(separator: ",") + "\n"
            }
            try s.write(toFile: dir + "/out_" + f.dropFirst(3), atomically: true, encoding: .utf8)
        }
    }
}
