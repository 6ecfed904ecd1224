// The gateway's REST API (deploy/openapi.yaml), same origin as the page.

/** An error the API answered: its gRPC-style code and message, as `{"error":{"code","message"}}` carries them. */
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET or POST `path` and return the parsed JSON body (`{status, body}` when `withStatus`). */
export async function request(path, { method = "GET", body, withStatus = false } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new APIError(0, "UNAVAILABLE", `the gateway cannot be reached (${error.message})`);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new APIError(response.status, "INTERNAL", `not JSON from ${path}`);
  }
  if (!response.ok) {
    const error = parsed && parsed.error ? parsed.error : { code: String(response.status), message: text };
    throw new APIError(response.status, error.code, error.message);
  }
  return withStatus ? { status: response.status, body: parsed } : parsed;
}

export const get = (path) => request(path);

/** Seconds since the epoch (what the charts take) from an RFC 3339 time. */
export function seconds(timestamp) {
  return Math.floor(Date.parse(timestamp) / 1000);
}

/** A timeframe in our text form (`5m`, `1h`, `1d`) in seconds; 0 when it is not one of those. */
export function timeframeSeconds(timeframe) {
  const match = /^(\d+)(m|h|d|w)$/.exec(timeframe);
  if (!match) return 0;
  return Number(match[1]) * { m: 60, h: 3600, d: 86400, w: 604800 }[match[2]];
}

/** `fast=10, slow=30` as `{fast: 10, slow: 30}`; a malformed pair throws, naming it. */
export function parseParameters(text) {
  const parameters = {};
  for (const pair of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(-?\d+(\.\d+)?)$/.exec(pair);
    if (!match) throw new Error(`parameter "${pair}": write name=number, e.g. fast=10`);
    parameters[match[1]] = Number(match[2]);
  }
  return parameters;
}
