// The screener: GET /screener ranks the stored symbols; a row click charts that symbol.

import { get } from "./api.js";

export class ScreenerPanel {
  constructor({ form, table, status, choose }) {
    this.form = form;
    this.table = table;
    this.status = status;
    this.choose = choose;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run().catch((error) => (this.status.textContent = `screen failed: ${error.message}`));
    });
  }

  async run() {
    const value = (id) => this.form.querySelector(id).value;
    const query = new URLSearchParams({
      metric: value("#sc-metric"), timeframe: value("#sc-timeframe"), window: value("#sc-window"), limit: "20",
    });
    this.status.textContent = "screening…";
    const result = await get(`/screener?${query}`);
    const rows = result.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.symbol = row.symbol;
      for (const text of [row.symbol, format(row.value), format(row.close), String(row.bars ?? "")]) {
        tr.append(Object.assign(document.createElement("td"), { textContent: text }));
      }
      tr.addEventListener("click", () => this.choose(row.symbol));
      return tr;
    });
    this.table.tBodies[0].replaceChildren(...rows);
    this.status.textContent = `${rows.length} symbols, window ${result.window}`;
  }
}

function format(value) {
  return typeof value === "number" ? value.toFixed(Math.abs(value) < 10 ? 4 : 2) : "—";
}
