'use strict';
// A scripted HTTP server on 127.0.0.1 standing in for J1MSKY, for the client's own tests. Each
// route answers from its script (replies in order, the last one repeating; a reply may be a
// function of the request), and every request is recorded as received.

const http = require('node:http');
const crypto = require('node:crypto');

function envelope(status, type, message, extra = {}) {
  const headers = { 'X-Request-Id': 'req_fake1' };
  if (extra.retry_after !== undefined) headers['Retry-After'] = String(extra.retry_after);
  return {
    status,
    body: {
      success: false,
      error: { code: status, type, message, request_id: 'req_fake1', ...extra },
    },
    headers,
  };
}

// Checks X-Signature the way the server will (semantics §12.4), on the bytes received.
function signatureOk(seen, secret) {
  const stamp = seen.headers['x-timestamp'] || '';
  const message = Buffer.concat([
    Buffer.from(`${stamp}\n${seen.method}\n${seen.rawPath}\n`),
    seen.body,
  ]);
  const expected = crypto.createHmac('sha256', secret).update(message).digest('hex');
  return expected === seen.headers['x-signature'];
}

class FakeApi {
  constructor() {
    this.requests = [];
    this.scripts = new Map();
    this.server = http.createServer((req, res) => this.serve(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  on(method, path, ...replies) {
    this.scripts.set(`${method} ${path}`, replies);
    return this;
  }

  json(method, path, body, status = 200) {
    return this.on(method, path, { status, body });
  }

  seen(method, path) {
    return this.requests.filter(
      (r) => (!method || r.method === method) && (!path || r.path === path),
    );
  }

  serve(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      const seen = {
        method: req.method,
        rawPath: req.url,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        json: body.length ? JSON.parse(body) : null,
        at: Date.now(),
      };
      this.requests.push(seen);
      const script = this.scripts.get(`${req.method} ${url.pathname}`);
      let reply = envelope(404, 'not_found', 'Not found');
      if (script) {
        const source = script.length > 1 ? script.shift() : script[0];
        reply = typeof source === 'function' ? source(seen) : source;
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? null);
      res.writeHead(reply.status || 200, {
        'Content-Type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
        'X-Request-Id': 'req_fakeok',
        ...(reply.headers || {}),
      });
      res.end(text);
    });
  }
}

async function fakeApi() {
  return new FakeApi().start();
}

module.exports = { fakeApi, envelope, signatureOk };
