// The dashboard: a live watchlist, the chart of the chosen symbol, a backtest form and the screener, all through
// the gateway (REST and /ws) that serves this page.

import { get } from "./api.js";
import { BacktestPanel } from "./backtest.js";
import { PriceChart } from "./chart.js";
import { LiveTicks } from "./live.js";
import { ScreenerPanel } from "./screener.js";

const $ = (selector) => document.querySelector(selector);
const STORAGE_KEY = "pulse.watchlist";
const FALLBACK_SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "SPY"];

const rows = new Map(); // symbol → {row, price, previousClose, ticks}
const chart = new PriceChart($("#price-chart"), $("#lower-chart"), $("#chart-status"));
const live = new LiveTicks({
  tick: onTick,
  gap: (gap) => showError(`${gap.symbol}: ticks ${gap.first_missing}–${gap.last_missing} were lost upstream`),
  stale: (symbol) => rows.get(symbol)?.row.classList.add("stale"),
  error: (error) => {
    showError(`${error.code}: ${error.message}`);
    if (error.code !== "NOT_FOUND") return;
    // "unknown symbol: XYZ": a row the server never took is marked and no longer subscribed.
    const named = new Set((/unknown symbol: (.*)$/.exec(error.message)?.[1] ?? "").split(", "));
    for (const [symbol, entry] of rows) {
      if (entry.acknowledged || !named.has(symbol)) continue;
      entry.row.classList.add("unknown");
      entry.row.cells[1].textContent = "unknown";
      live.unsubscribe(symbol, { tellServer: false });
    }
  },
  state: (state) => {
    const badge = $("#connection");
    badge.dataset.state = state;
    badge.textContent = { connecting: "connecting…", open: "live", closed: "reconnecting…", stale: "stale" }[state];
  },
  subscribed: (symbols) => {
    for (const symbol of symbols) if (rows.has(symbol)) rows.get(symbol).acknowledged = true;
  },
});

function showError(text) {
  $("#watch-error").textContent = text;
}

function addRow(symbol) {
  if (rows.has(symbol)) return;
  const row = document.createElement("tr");
  row.dataset.symbol = symbol;
  row.innerHTML = "<td></td><td class=price>—</td><td class=change>—</td><td class=sequence></td>";
  row.cells[0].textContent = symbol;
  row.addEventListener("click", () => choose(symbol));
  row.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    removeRow(symbol);
    live.unsubscribe(symbol);
  });
  $("#watchlist tbody").append(row);
  rows.set(symbol, { row, price: null, previousClose: null, ticks: 0, acknowledged: false });
  live.subscribe(symbol);
  save();
}

function removeRow(symbol) {
  rows.get(symbol)?.row.remove();
  rows.delete(symbol);
  save();
}

function save() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify([...rows.keys()]));
  } catch {
    // private mode: the list lives for this page only
  }
}

function render(symbol) {
  const entry = rows.get(symbol);
  if (!entry || entry.price === null) return;
  const cells = entry.row.cells;
  cells[1].textContent = entry.price.toFixed(2);
  if (entry.previousClose) {
    const change = entry.price - entry.previousClose;
    cells[2].textContent = `${change >= 0 ? "+" : ""}${change.toFixed(2)} (${((100 * change) / entry.previousClose).toFixed(2)}%)`;
    cells[2].className = `change ${change >= 0 ? "up" : "down"}`;
  }
}

function onTick(tick) {
  const entry = rows.get(tick.symbol);
  if (entry) {
    const before = entry.price;
    entry.price = tick.price;
    entry.ticks += 1;
    entry.row.cells[3].textContent = String(tick.sequence);
    entry.row.classList.remove("stale");
    render(tick.symbol);
    if (before !== null && before !== tick.price) {
      // Restart the flash animation on every change.
      entry.row.classList.remove("flash-up", "flash-down");
      void entry.row.offsetWidth;
      entry.row.classList.add(tick.price > before ? "flash-up" : "flash-down");
    }
  }
  chart.tick(tick);
}

function choose(symbol) {
  for (const [name, entry] of rows) entry.row.classList.toggle("selected", name === symbol);
  $("#chart-title").textContent = symbol;
  chart.show(symbol, $("#timeframe").value);
}

async function loadQuotes(symbols) {
  if (!symbols.length) return;
  try {
    const { quotes } = await get(`/quotes?symbols=${symbols.map(encodeURIComponent).join(",")}`);
    for (const quote of quotes) {
      const entry = rows.get(quote.symbol);
      if (!entry) continue;
      entry.previousClose = quote.previous_close ?? quote.open ?? null;
      if (entry.price === null) entry.price = quote.price;
      render(quote.symbol);
    }
  } catch (error) {
    showError(`quotes: ${error.message}`);
  }
}

async function initialSymbols() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (Array.isArray(saved) && saved.length) return saved.filter((s) => typeof s === "string").slice(0, 50);
  } catch {
    // fall through
  }
  try {
    const { stocks } = await get("/stocks");
    if (stocks.length) return stocks.map((stock) => stock.symbol).slice(0, 20);
  } catch {
    // the fallback list
  }
  return FALLBACK_SYMBOLS;
}

$("#watch-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#watch-symbol");
  const symbol = input.value.trim().toUpperCase();
  input.value = "";
  if (!/^[A-Z0-9.^=-]{1,15}$/.test(symbol)) return showError(`"${symbol}" is not a symbol`);
  showError("");
  addRow(symbol);
  loadQuotes([symbol]);
});
$("#timeframe").addEventListener("change", () => chart.symbol && chart.show(chart.symbol, $("#timeframe").value));
for (const [id, option] of [["#show-sma", "sma"], ["#show-ema", "ema"], ["#show-bbands", "bbands"]]) {
  $(id).addEventListener("change", () => {
    chart.options[option] = $(id).checked;
    chart.loadIndicators().catch((error) => ($("#chart-status").textContent = error.message));
  });
}
$("#lower").addEventListener("change", () => {
  chart.options.lower = $("#lower").value;
  chart.loadIndicators().catch((error) => ($("#chart-status").textContent = error.message));
});

const backtests = new BacktestPanel({
  form: $("#backtest-form"), status: $("#bt-status"), equityElement: $("#equity-chart"),
  statistics: $("#bt-statistics"), chart, symbol: () => chart.symbol,
  showTimeframe: async (timeframe) => {
    $("#timeframe").value = timeframe;
    await chart.show(chart.symbol, timeframe);
  },
});
new ScreenerPanel({ form: $("#screener-form"), table: $("#screener"), status: $("#sc-status"), choose });

// For scripted checks (the headless-browser test) and curious users: what the page shows, as data.
window.pulseDashboard = {
  live, chart, backtests, rows,
  candles: () => chart.bars.map((bar) => ({ ...bar })),
  equity: () => (backtests.lastResult ? backtests.lastResult.equity.equity.filter((v) => v !== null) : []),
};

const symbols = await initialSymbols();
for (const symbol of symbols) addRow(symbol);
live.connect();
loadQuotes(symbols);
if (symbols.length) choose(symbols[0]);
