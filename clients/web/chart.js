// The price chart: stored bars (GET /bars) as candles with volume, indicator overlays from GET /indicators (moving
// averages and Bollinger bands on the price pane, RSI or MACD in the pane below), kept live from the ticks.

import { get, seconds, timeframeSeconds } from "./api.js";

const { createChart, CrosshairMode } = window.LightweightCharts;
const BARS = 500;
const THEME = {
  layout: { background: { color: "#161c23" }, textColor: "#d8dee6" },
  grid: { vertLines: { color: "#1f2731" }, horzLines: { color: "#1f2731" } },
  timeScale: { timeVisible: true, secondsVisible: false },
  crosshair: { mode: CrosshairMode.Normal },
};

export class PriceChart {
  constructor(priceElement, lowerElement, statusElement) {
    this.status = statusElement;
    this.chart = createChart(priceElement, { ...THEME, autoSize: true });
    this.candles = this.chart.addCandlestickSeries();
    this.volume = this.chart.addHistogramSeries({ priceScaleId: "volume", priceFormat: { type: "volume" } });
    this.chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.overlays = {
      sma: this.chart.addLineSeries({ color: "#f5c542", lineWidth: 1, priceLineVisible: false }),
      ema: this.chart.addLineSeries({ color: "#c77dff", lineWidth: 1, priceLineVisible: false }),
      upper: this.chart.addLineSeries({ color: "#4fa3e0", lineWidth: 1, priceLineVisible: false }),
      middle: this.chart.addLineSeries({ color: "#4fa3e0", lineWidth: 1, lineStyle: 2, priceLineVisible: false }),
      lower: this.chart.addLineSeries({ color: "#4fa3e0", lineWidth: 1, priceLineVisible: false }),
    };
    this.lowerChart = createChart(lowerElement, { ...THEME, autoSize: true });
    this.lowerSeries = [];
    // One time axis for both panes: the lower pane follows the price pane's visible times.
    this.chart.timeScale().subscribeVisibleTimeRangeChange(() => this.syncLower());
    this.symbol = null;
    this.timeframe = "5m";
    this.options = { sma: true, ema: false, bbands: false, lower: "rsi" };
    this.bars = []; // {time, open, high, low, close, volume}, what the candles show
    this.loading = 0;
  }

  async show(symbol, timeframe = this.timeframe) {
    this.symbol = symbol;
    this.timeframe = timeframe;
    const ticket = ++this.loading;
    this.status.textContent = `loading ${symbol} ${timeframe}…`;
    try {
      const page = await get(`/bars/${encodeURIComponent(symbol)}?timeframe=${timeframe}&limit=${BARS}`);
      if (ticket !== this.loading) return; // another symbol was chosen meanwhile
      this.bars = page.bars.map((bar) => ({
        time: seconds(bar.timestamp), open: bar.open, high: bar.high, low: bar.low, close: bar.close,
        volume: bar.volume,
      }));
      this.draw();
      this.chart.timeScale().fitContent();
      this.status.textContent = `${symbol} · ${timeframe} · ${this.bars.length} bars`;
      await this.loadIndicators(ticket);
    } catch (error) {
      if (ticket !== this.loading) return;
      this.bars = [];
      this.draw();
      this.status.textContent = `${symbol}: ${error.message}`;
    }
  }

  draw() {
    this.candles.setData(this.bars.map(({ volume, ...candle }) => candle));
    this.volume.setData(
      this.bars.map((bar) => ({
        time: bar.time, value: bar.volume, color: bar.close >= bar.open ? "#26a69a55" : "#ef535055",
      })),
    );
  }

  async loadIndicators(ticket = this.loading) {
    const specs = [];
    if (this.options.sma) specs.push("sma:20");
    if (this.options.ema) specs.push("ema:50");
    if (this.options.bbands) specs.push("bbands:20,2,2");
    if (this.options.lower === "rsi") specs.push("rsi:14");
    if (this.options.lower === "macd") specs.push("macd:12,26,9");
    for (const series of Object.values(this.overlays)) series.setData([]);
    if (!specs.length || !this.bars.length) return this.drawLower([]);
    const path = `/indicators/${encodeURIComponent(this.symbol)}?timeframe=${this.timeframe}` +
      `&ind=${specs.join(",")}&limit=${BARS}`;
    const result = await get(path);
    if (ticket !== this.loading) return;
    const times = result.timestamps.map(seconds);
    const line = (values) =>
      values.map((value, i) => (value === null ? { time: times[i] } : { time: times[i], value }))
        .filter((point, i) => i === 0 || point.time > times[i - 1]);
    const lower = [];
    for (const indicator of result.indicators) {
      const outputs = Object.entries(indicator.outputs);
      const column = (suffix) => outputs.find(([name]) => name.endsWith(suffix))?.[1] ?? [];
      switch (String(indicator.function).toLowerCase()) {
        case "sma": this.overlays.sma.setData(line(outputs[0][1])); break;
        case "ema": this.overlays.ema.setData(line(outputs[0][1])); break;
        case "bbands":
          this.overlays.upper.setData(line(column("upperband")));
          this.overlays.middle.setData(line(column("middleband")));
          this.overlays.lower.setData(line(column("lowerband")));
          break;
        case "rsi": lower.push({ kind: "line", color: "#f5c542", data: line(outputs[0][1]) }); break;
        case "macd":
          lower.push({ kind: "histogram", color: "#607d8b", data: line(column("hist")) });
          lower.push({ kind: "line", color: "#4fa3e0", data: line(column("_macd")) });
          lower.push({ kind: "line", color: "#ef9a3c", data: line(column("signal")) });
          break;
      }
    }
    this.drawLower(lower);
  }

  syncLower() {
    const range = this.chart.timeScale().getVisibleRange();
    if (!range || !this.lowerSeries.length) return;
    try {
      this.lowerChart.timeScale().setVisibleRange(range);
    } catch {
      // the lower pane has no data in that range yet
    }
  }

  drawLower(panes) {
    for (const series of this.lowerSeries) this.lowerChart.removeSeries(series);
    this.lowerSeries = panes.map((pane) => {
      const series = pane.kind === "histogram"
        ? this.lowerChart.addHistogramSeries({ color: pane.color, priceLineVisible: false })
        : this.lowerChart.addLineSeries({ color: pane.color, lineWidth: 1, priceLineVisible: false });
      series.setData(pane.data);
      return series;
    });
    this.syncLower();
  }

  /** Folds a live tick into the forming candle (a new candle when its bucket begins). */
  tick(tick) {
    if (tick.symbol !== this.symbol || !this.bars.length) return;
    const step = timeframeSeconds(this.timeframe);
    if (!step) return;
    const at = seconds(tick.timestamp);
    const bucket = at - (at % step);
    const last = this.bars[this.bars.length - 1];
    if (bucket < last.time) return; // older than what is shown
    if (bucket === last.time) {
      last.high = Math.max(last.high, tick.price);
      last.low = Math.min(last.low, tick.price);
      last.close = tick.price;
      last.volume += tick.volume;
    } else {
      this.bars.push({ time: bucket, open: tick.price, high: tick.price, low: tick.price, close: tick.price,
        volume: tick.volume });
      if (this.bars.length > BARS * 2) this.bars.splice(0, this.bars.length - BARS * 2);
      // A bar closed: the stored indicators now cover it.
      clearTimeout(this.refresh);
      this.refresh = setTimeout(() => this.loadIndicators().catch(() => {}), 1_500);
    }
    const { volume, ...candle } = this.bars[this.bars.length - 1];
    this.candles.update(candle);
    this.volume.update({ time: candle.time, value: volume, color: candle.close >= candle.open ? "#26a69a55" : "#ef535055" });
  }

  /** Marks a backtest's trades on the candles (each at the bar it falls in). */
  markTrades(trades) {
    const step = timeframeSeconds(this.timeframe) || 86400;
    const first = this.bars[0]?.time ?? Infinity;
    const markers = [];
    for (const trade of trades) {
      const place = (timestamp, entry) => {
        if (!timestamp) return;
        const at = seconds(timestamp);
        const time = at - (at % step);
        if (time < first) return;
        const long = trade.size > 0;
        markers.push(entry
          ? { time, position: long ? "belowBar" : "aboveBar", color: long ? "#26a69a" : "#ef5350",
              shape: long ? "arrowUp" : "arrowDown", text: long ? "buy" : "short" }
          : { time, position: long ? "aboveBar" : "belowBar", color: "#d8dee6", shape: "circle", text: "exit" });
      };
      place(trade.entry_time, true);
      place(trade.exit_time, false);
    }
    markers.sort((a, b) => a.time - b.time);
    this.candles.setMarkers(markers);
    return markers.length;
  }
}
