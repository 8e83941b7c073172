// Talking to the timbre server: the token, JSON calls, and one-line error messages.

const params = new URLSearchParams(location.search);
export const token = params.get("token") || "";

/** An API answer of the form {"error": "..."} (or a failed request), as an exception. */
export class ApiError extends Error {}

/** `path` with the token as a query parameter, absolute: for <audio src> and drag-out URLs. */
export function withToken(path) {
  const url = new URL(path, location.origin);
  if (token) url.searchParams.set("token", token);
  return url.href;
}

async function request(method, path, body, raw = false) {
  const headers = {"X-Timbre-Token": token};
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    headers["Content-Type"] = "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let answer;
  try {
    answer = await fetch(path, {method, headers, body: payload, credentials: "same-origin"});
  } catch (err) {
    throw new ApiError(`cannot reach the timbre server (${err.message}) — is \`timbre app\` still running?`);
  }
  if (!answer.ok) throw new ApiError(await errorLine(answer));
  return raw ? answer : answer.json();
}

async function errorLine(answer) {
  try {
    const data = await answer.json();
    if (data && data.error) return data.error;
  } catch (_) { /* not JSON */ }
  return `the server answered ${answer.status} ${answer.statusText}`;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body === undefined ? {} : body),
  del: (path) => request("DELETE", path),
  /** POST returning the raw Response (for file downloads). */
  postRaw: (path, body) => request("POST", path, body, true),
};
