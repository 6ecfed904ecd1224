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
            var s = ""
            for (name, vals) in outs {
                s += name + "," + vals.map { "\($0)" }.joined(separator: ",") + "\n"
            }
            try s.write(toFile: dir + "/out_" + f.dropFirst(3), atomically: true, encoding: .utf8)
        }
    }
}
