'use strict';
// HTTP for the J1MSKY client: authentication, retries, idempotency keys and request signing.
//
// - Every write (POST, PUT, PATCH, DELETE) carries an Idempotency-Key (generated unless given),
//   the same on each retry, so a retried write has one effect on the server.
// - 429, 502, 503, 504, a 409 idempotency_key_in_use and broken connections are retried with
//   exponential backoff and jitter; a Retry-After (header or envelope) is waited in full. A wait
//   longer than maxRetryWait is not taken: the error is thrown at once with its retryAfter.
// - With a signing secret, X-Timestamp and X-Signature (hex HMAC-SHA256 over
//   "{timestamp}\n{METHOD}\n{path with query}\n{raw body}") are computed over the exact bytes
//   sent, afresh for every attempt.

const crypto = require('node:crypto');
const {
  APIConnectionError,
  APITimeoutError,
  ConfigurationError,
  errorFromResponse,
} = require('./errors');

const VERSION = '4.0.0';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

// The API root for a server URL: http://host:8080 → http://host:8080/api/ (unless the path
// already ends in /api or /api/v<N>).
function apiRoot(baseUrl) {
  let url;
  try {
    url = new URL(String(baseUrl).trim());
  } catch (err) {
    throw new ConfigurationError(`Invalid base URL: ${baseUrl}`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.hostname) {
    throw new ConfigurationError(`Base URL must be http(s)://host[:port]: ${baseUrl}`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!/\/api(\/v\d+)?$/.test(path)) path += '/api';
  url.pathname = `${path}/`;
  url.search = '';
  url.hash = '';
  return url.href;
}

// Exponential backoff with up to 10 % jitter: 0.5, 1, 2, 4 … seconds, capped.
function backoffDelay(attempt, base = 0.5, cap = 30) {
  const delay = Math.min(base * 2 ** attempt, cap);
  return delay + Math.random() * 0.1 * delay;
}

// Seconds to wait from a Retry-After header (delta-seconds or an HTTP date).
function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.max(Number(text), 0);
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max((when - now) / 1000, 0);
}

function toSnake(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// Request fields in the server's snake_case (maxTokens → max_tokens), deeply, except inside
// `metadata`, which is the caller's own data.
function snakeKeys(value) {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (!value || typeof value !== 'object' || value instanceof Date) return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    out[toSnake(key)] = key === 'metadata' ? item : snakeKeys(item);
  }
  return out;
}

// Query parameters as the server reads them: arrays comma-joined, objects as JSON.
function encodeParams(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null) continue;
    let text;
    if (Array.isArray(value)) text = value.join(',');
    else if (value instanceof Date) text = value.toISOString();
    else if (typeof value === 'object') text = JSON.stringify(value);
    else text = String(value);
    search.append(toSnake(key), text);
  }
  return search;
}

// Signs requests with a key's signing secret (semantics §12.4). Two identical requests within
// one second would carry the same signature, which the server refuses as a replay; the second
// is stamped one second later instead, well inside the server's ±300 s window.
class RequestSigner {
  constructor(secret, clock = () => Date.now() / 1000) {
    this.secret = secret;
    this.clock = clock;
    this.last = new Map();
  }

  sign(method, path, body) {
    const tail = Buffer.concat([Buffer.from(`${method}\n${path}\n`), body]);
    const digest = crypto.createHash('sha256').update(tail).digest('hex');
    let stamp = Math.floor(this.clock());
    const previous = this.last.get(digest);
    if (previous !== undefined && stamp <= previous) stamp = previous + 1;
    this.last.set(digest, stamp);
    if (this.last.size > 4096) {
      for (const [key, value] of this.last) if (value < stamp - 600) this.last.delete(key);
    }
    const signature = crypto
      .createHmac('sha256', this.secret)
      .update(Buffer.concat([Buffer.from(`${stamp}\n`), tail]))
      .digest('hex');
    return { 'X-Timestamp': String(stamp), 'X-Signature': signature };
  }
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

class Transport {
  constructor({
    apiKey,
    baseUrl,
    timeout = 30,
    maxRetries = 3,
    maxRetryWait = 60,
    signingSecret = null,
    fetch: fetchImpl = globalThis.fetch,
  } = {}) {
    this.root = apiRoot(baseUrl);
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this.maxRetryWait = maxRetryWait;
    this.signer = signingSecret ? new RequestSigner(signingSecret) : null;
    this.fetch = fetchImpl;
    this.sleep = sleep;
    this.headers = {
      Authorization: `Bearer ${apiKey}`,
      Accept: 'application/json',
      'User-Agent': `j1msky-sdk-js/${VERSION}`,
    };
    this.lastResponse = null;
  }

  build(method, path, params, body, idempotencyKey) {
    const url = new URL(path.replace(/^\/+/, ''), this.root);
    const search = encodeParams(params).toString();
    url.search = search ? `?${search}` : '';
    const headers = { ...this.headers };
    if (body) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    if (this.signer) {
      Object.assign(
        headers,
        this.signer.sign(method, url.pathname + url.search, body || Buffer.alloc(0)),
      );
    }
    return { url: url.href, headers };
  }

  async send(url, init) {
    try {
      return await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.timeout * 1000) });
    } catch (err) {
      const timedOut = err && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const Cls = timedOut ? APITimeoutError : APIConnectionError;
      const reason = (err && err.cause && err.cause.code) || (err && err.message) || err;
      const wrapped = new Cls(`${init.method} ${url}: ${reason}`);
      wrapped.cause = err;
      throw wrapped;
    }
  }

  // Send one call, retrying what may be retried; throw the typed error otherwise.
  async request(method, path, { params = null, body = undefined, idempotencyKey = null } = {}) {
    method = method.toUpperCase();
    const raw = body === undefined ? null : Buffer.from(JSON.stringify(snakeKeys(body)));
    if (WRITE_METHODS.has(method) && !idempotencyKey) idempotencyKey = crypto.randomUUID();
    for (let attempt = 0; ; attempt += 1) {
      const { url, headers } = this.build(method, path, params, raw, idempotencyKey);
      let wait;
      let response;
      try {
        response = await this.send(url, { method, headers, body: raw || undefined });
      } catch (err) {
        if (attempt >= this.maxRetries) throw err;
        wait = backoffDelay(attempt);
      }
      if (response) {
        const answer = await decode(response);
        this.lastResponse = answer;
        if (response.status < 400) return answer;
        const error = errorFromResponse(
          response.status,
          answer.body,
          answer.headers,
          parseRetryAfter(answer.headers['retry-after']),
        );
        const retryable =
          RETRY_STATUSES.has(response.status) ||
          (response.status === 409 && error.type === 'idempotency_key_in_use');
        if (!retryable || attempt >= this.maxRetries) throw error;
        if (error.retryAfter != null && error.retryAfter > this.maxRetryWait) throw error;
        wait =
          error.retryAfter != null
            ? error.retryAfter * (1 + Math.random() * 0.1)
            : backoffDelay(attempt);
      }
      await this.sleep(wait);
    }
  }
}

async function decode(response) {
  const headers = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const text = await response.text();
  let body = text || null;
  if (text && (headers['content-type'] || '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      body = text;
    }
  }
  return {
    status: response.status,
    headers,
    body,
    requestId: headers['x-request-id'] || null,
    replayed: headers['idempotency-replayed'] === 'true',
  };
}

module.exports = {
  Transport,
  RequestSigner,
  apiRoot,
  backoffDelay,
  parseRetryAfter,
  snakeKeys,
  encodeParams,
  VERSION,
};
