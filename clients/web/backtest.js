// The backtest form: POST /backtests (inline when small, else a job polled at GET /backtests/{id}), then the equity
// curve and drawdown, the statistics table, and the trades marked on the price chart.

import { parseParameters, request, seconds } from "./api.js";

const { createChart } = window.LightweightCharts;
const DEFAULTS = {
  "sma-cross": "fast=10, slow=30",
  "rsi-reversion": "period=14, lower=30, upper=70",
  "bollinger-breakout": "period=20, k=2",
  "macd-signal": "fast=12, slow=26, signal=9",
  expressions: "fast=10, slow=30",
};
// backtesting.py's headline statistics, in its order; the rest of what the run returns is left out of the table.
const SHOWN = [
  "Start", "End", "Duration", "Exposure Time [%]", "Equity Final [$]", "Equity Peak [$]", "Return [%]",
  "Buy & Hold Return [%]", "Return (Ann.) [%]", "Volatility (Ann.) [%]", "Sharpe Ratio", "Sortino Ratio",
  "Calmar Ratio", "Max. Drawdown [%]", "Avg. Drawdown [%]", "# Trades", "Win Rate [%]", "Best Trade [%]",
  "Worst Trade [%]", "Profit Factor", "Expectancy [%]", "SQN",
];

export class BacktestPanel {
  constructor({ form, status, equityElement, statistics, chart, symbol, showTimeframe }) {
    this.showTimeframe = showTimeframe; // (timeframe) => charts the symbol at the run's timeframe
    this.form = form;
    this.status = status;
    this.statistics = statistics;
    this.priceChart = chart;
    this.symbol = symbol; // () => the charted symbol
    this.equityChart = createChart(equityElement, {
      autoSize: true,
      layout: { background: { color: "#161c23" }, textColor: "#d8dee6" },
      grid: { vertLines: { color: "#1f2731" }, horzLines: { color: "#1f2731" } },
      leftPriceScale: { visible: true },
    });
    this.equity = this.equityChart.addLineSeries({ color: "#4fa3e0", lineWidth: 2, priceScaleId: "right" });
    this.drawdown = this.equityChart.addAreaSeries({
      priceScaleId: "left", lineColor: "#ef5350", topColor: "#ef535000", bottomColor: "#ef535066", lineWidth: 1,
    });
    this.lastResult = null;
    const strategy = form.querySelector("#bt-strategy");
    strategy.addEventListener("change", () => {
      form.classList.toggle("expressions", strategy.value === "expressions");
      form.querySelector("#bt-parameters").value = DEFAULTS[strategy.value] ?? "";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run().catch((error) => (this.status.textContent = `backtest failed: ${error.message}`));
    });
  }

  body() {
    const value = (id) => this.form.querySelector(id).value;
    const parameters = parseParameters(value("#bt-parameters"));
    const name = value("#bt-strategy");
    const strategy = name === "expressions"
      ? { entry: value("#bt-entry"), exit: value("#bt-exit"), parameters }
      : { name, parameters };
    return {
      symbols: [this.symbol()], timeframe: value("#bt-timeframe"), strategy,
      cash: Number(value("#bt-cash")), commission: Number(value("#bt-commission")), max_equity_points: 2000,
    };
  }

  async run() {
    const symbol = this.symbol();
    if (!symbol) throw new Error("choose a symbol first");
    this.status.textContent = `running on ${symbol}…`;
    let { status, body } = await request("/backtests", { method: "POST", body: this.body(), withStatus: true });
    if (status === 202) {
      // A larger run became a job: its document says how far it is, then holds the result.
      while (body.state === "running") {
        const progress = body.progress ?? {};
        const done = progress.units_done ?? progress.bars_done;
        this.status.textContent = `running on ${symbol}… ${done !== undefined ? done : ""}`;
        await new Promise((resolve) => setTimeout(resolve, 500));
        body = await request(body.location ?? `/backtests/${body.id}`);
      }
      if (body.state !== "succeeded") throw new Error(body.error?.message ?? `the job ${body.state}`);
      body = body.result;
    }
    await this.show(body, symbol, this.form.querySelector("#bt-timeframe").value);
  }

  async show(result, symbol, timeframe) {
    this.lastResult = result;
    const times = result.equity.timestamps.map(seconds);
    const points = (values) => {
      const out = [];
      values.forEach((value, i) => {
        if (value !== null && (out.length === 0 || times[i] > out[out.length - 1].time)) {
          out.push({ time: times[i], value });
        }
      });
      return out;
    };
    this.equity.setData(points(result.equity.equity));
    this.drawdown.setData(points(result.equity.drawdown.map((d) => (d === null ? null : -100 * d))));
    this.equityChart.timeScale().fitContent();
    const rows = SHOWN.filter((name) => name in result.statistics).map((name) => {
      const value = result.statistics[name];
      const text = typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value ?? "—";
      const row = document.createElement("tr");
      row.append(Object.assign(document.createElement("td"), { textContent: name }),
        Object.assign(document.createElement("td"), { textContent: text }));
      return row;
    });
    this.statistics.tBodies[0].replaceChildren(...rows);
    // The trades are marked on candles of the run's own timeframe.
    if (this.priceChart.symbol === symbol && this.priceChart.timeframe !== timeframe) await this.showTimeframe(timeframe);
    const marked = this.priceChart.symbol === symbol ? this.priceChart.markTrades(result.trades) : 0;
    this.status.textContent =
      `${symbol}: ${result.trades.length} trades, ${times.length} equity points, ${marked} marks on the chart`;
  }
}
