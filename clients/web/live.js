// Live ticks over the gateway's WebSocket (/ws): subscribe, and after a reconnect resume each symbol from the last
// sequence number seen, so no tick is lost silently (the server replays or reports a gap).

const STALE_AFTER_MS = 25_000; // the gateway sends a heartbeat after 10 s of quiet: two missed means trouble
const MAX_BACKOFF_MS = 10_000;

export class LiveTicks {
  /**
   * @param {object} handlers `tick(tick)`, `gap(event)`, `stale(symbol)`, `error(error)`, `state(name)`,
   *   `subscribed(symbols)`.
   */
  constructor(handlers, url = LiveTicks.defaultURL()) {
    this.handlers = handlers;
    this.url = url;
    this.symbols = new Set();
    this.lastSequence = new Map();
    this.socket = null;
    this.attempt = 0;
    this.lastFrame = 0;
    this.gaps = 0;
    this.reconnects = 0;
    this.watchdog = setInterval(() => this.checkStale(), 2_000);
  }

  static defaultURL() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  connect() {
    this.handlers.state?.("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.lastFrame = Date.now();
      this.handlers.state?.("open");
      this.sendSubscriptions();
    };
    socket.onmessage = (message) => {
      this.lastFrame = Date.now();
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      this.dispatch(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return; // given up on already (stale)
      this.socket = null;
      this.handlers.state?.("closed");
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    // Backoff with jitter, so many browsers do not come back in step after a gateway restart.
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.reconnects += 1;
    setTimeout(() => this.connect(), delay);
  }

  dispatch(event) {
    switch (event.type) {
      case undefined: // a tick, in the seed's shape
        if (typeof event.symbol !== "string" || typeof event.sequence !== "number") return;
        if (event.sequence <= (this.lastSequence.get(event.symbol) ?? 0)) return; // replayed twice: drop
        this.lastSequence.set(event.symbol, event.sequence);
        this.handlers.tick?.(event);
        break;
      case "gap":
        this.gaps += 1;
        this.handlers.gap?.(event);
        break;
      case "stale":
        this.handlers.stale?.(event.symbol);
        break;
      case "subscribed":
        this.handlers.subscribed?.(event.symbols ?? []);
        break;
      case "error":
        this.handlers.error?.(event.error ?? { code: "UNKNOWN", message: "error" });
        break;
      default: // heartbeat and whatever else: the frame itself says the connection lives
        break;
    }
  }

  /** Subscribes to the fresh symbols and resumes the ones with a last sequence number. */
  sendSubscriptions() {
    const resume = {};
    const fresh = [];
    for (const symbol of this.symbols) {
      const sequence = this.lastSequence.get(symbol);
      if (sequence) resume[symbol] = sequence;
      else fresh.push(symbol);
    }
    if (Object.keys(resume).length) this.send({ action: "resume", sequences: resume });
    // One message per new symbol: a subscription naming an unknown symbol is refused whole.
    for (const symbol of fresh) this.send({ action: "subscribe", symbol });
  }

  subscribe(symbol) {
    if (this.symbols.has(symbol)) return;
    this.symbols.add(symbol);
    this.send({ action: "subscribe", symbol });
  }

  unsubscribe(symbol, { tellServer = true } = {}) {
    if (!this.symbols.delete(symbol)) return;
    this.lastSequence.delete(symbol);
    if (tellServer) this.send({ action: "unsubscribe", symbol });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  checkStale() {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrame > STALE_AFTER_MS) {
      // Neither ticks nor heartbeats: the connection is dead even if the socket has not noticed.
      this.handlers.state?.("stale");
      for (const symbol of this.symbols) this.handlers.stale?.(symbol);
      const socket = this.socket;
      this.socket = null; // a dead peer may never finish the closing handshake: reconnect without waiting for it
      socket.close();
      this.scheduleReconnect();
    }
  }
}
