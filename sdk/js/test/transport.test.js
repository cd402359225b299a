'use strict';
// The JavaScript client's HTTP behaviour against a scripted server on 127.0.0.1: errors,
// retries, idempotency keys and request signing.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

const sdk = require('..');
const { apiRoot, parseRetryAfter } = require('../lib/transport');
const { fakeApi, envelope, signatureOk } = require('./helpers/fake-server');

const SPAWNED = { success: true, agent_id: 'subagent_1_0001', model: 'k2p5', status: 'spawning' };

async function withApi(fn) {
  const api = await fakeApi();
  try {
    await fn(
      api,
      (options = {}) => new sdk.Agency({ apiKey: 'dev_sk_test', baseUrl: api.url, ...options }),
    );
  } finally {
    await api.stop();
  }
}

test('the API root is the server URL with /api appended once', () => {
  assert.equal(apiRoot('http://localhost:8080'), 'http://localhost:8080/api/');
  assert.equal(apiRoot('http://localhost:8080/api'), 'http://localhost:8080/api/');
  assert.equal(apiRoot('http://pi.lan:8080/api/v1/'), 'http://pi.lan:8080/api/v1/');
  assert.equal(apiRoot('https://example.com/j1msky?x=1#y'), 'https://example.com/j1msky/api/');
  assert.throws(() => apiRoot('localhost:8080'), sdk.ConfigurationError);
  assert.throws(() => apiRoot('ftp://host/'), sdk.ConfigurationError);
});

test('no API key is a configuration error', () => {
  const saved = process.env.J1MSKY_API_KEY;
  delete process.env.J1MSKY_API_KEY;
  try {
    assert.throws(() => new sdk.Agency({ baseUrl: 'http://localhost:8080' }), /J1MSKY_API_KEY/);
  } finally {
    if (saved !== undefined) process.env.J1MSKY_API_KEY = saved;
  }
});

test('each error answer throws its typed error with the envelope', async () => {
  const cases = [
    [envelope(400, 'validation_error', 'Task cannot be empty'), sdk.ValidationError],
    [envelope(401, 'authentication_failed', 'Invalid API key'), sdk.AuthenticationError],
    [envelope(402, 'budget_exceeded', 'Daily budget exceeded'), sdk.BudgetExceededError],
    [envelope(403, 'permission_denied', 'Missing required scope'), sdk.PermissionDeniedError],
    [envelope(404, 'agent_not_found', 'Agent x not found'), sdk.NotFoundError],
    [envelope(409, 'agent_not_cancellable', 'Agent is completed'), sdk.ConflictError],
    [envelope(410, 'gone', 'Sunset'), sdk.APIError],
    [envelope(500, 'internal_error', 'Internal error'), sdk.ServerError],
  ];
  for (const [reply, ErrorClass] of cases) {
    await withApi(async (api, agency) => {
      api.on('POST', '/api/spawn', reply);
      const error = await agency()
        .spawn({ model: 'k2p5', task: 'go' })
        .catch((e) => e);
      assert.equal(error.constructor, ErrorClass);
      assert.ok(error instanceof sdk.APIError && error instanceof sdk.J1mskyError);
      assert.equal(error.status, reply.status);
      assert.equal(error.type, reply.body.error.type);
      assert.equal(error.serverMessage, reply.body.error.message);
      assert.equal(error.requestId, 'req_fake1');
      assert.match(error.message, /req_fake1/);
      assert.equal(api.requests.length, 1); // none of these is retried
    });
  }
});

test('a 429 is retried after its Retry-After with the same idempotency key', async () => {
  await withApi(async (api, agency) => {
    api.on(
      'POST',
      '/api/spawn',
      envelope(429, 'provider_rate_limited', 'Rate limit exceeded', { retry_after: 1 }),
      { status: 201, body: SPAWNED },
    );
    const started = Date.now();
    const agent = await agency().spawn({ model: 'k2p5', task: 'go' });
    assert.equal(agent.agentId, 'subagent_1_0001');
    assert.ok(Date.now() - started >= 1000);
    const [first, second] = api.seen('POST', '/api/spawn');
    assert.ok(second.at - first.at >= 1000);
    assert.ok(first.headers['idempotency-key'].length >= 32);
    assert.equal(second.headers['idempotency-key'], first.headers['idempotency-key']);
    assert.deepEqual(second.body, first.body);
  });
});

test('a 503 without Retry-After backs off; reads carry no idempotency key', async () => {
  await withApi(async (api, agency) => {
    const busy = envelope(503, 'service_unavailable', 'Retry later');
    api.on('GET', '/api/rate-limits', busy, busy, { status: 200, body: { limits: {} } });
    assert.deepEqual(await agency().rateLimits(), { limits: {} });
    const [first, second, third] = api.seen('GET', '/api/rate-limits');
    assert.ok(second.at - first.at >= 500 && third.at - second.at >= 1000);
    assert.equal(first.headers['idempotency-key'], undefined);
  });
});

test('a Retry-After longer than maxRetryWait throws at once; retries stop at maxRetries', async () => {
  await withApi(async (api, agency) => {
    api.on(
      'POST',
      '/api/spawn',
      envelope(429, 'rate_limited', 'Rate limit exceeded', { retry_after: 900 }),
    );
    api.on('GET', '/api/system', envelope(503, 'service_unavailable', 'Down', { retry_after: 0 }));
    const started = Date.now();
    const error = await agency({ maxRetryWait: 60 })
      .spawn({ task: 'go' })
      .catch((e) => e);
    assert.ok(error instanceof sdk.RateLimitError);
    assert.equal(error.retryAfter, 900);
    assert.ok(Date.now() - started < 500);
    await assert.rejects(agency({ maxRetries: 2 }).system(), sdk.ServiceUnavailableError);
    assert.equal(api.seen('GET', '/api/system').length, 3);
  });
});

test('an idempotency key still in use is retried', async () => {
  await withApi(async (api, agency) => {
    api.on(
      'POST',
      '/api/spawn',
      envelope(409, 'idempotency_key_in_use', 'In progress', { retry_after: 0 }),
      { status: 201, body: SPAWNED },
    );
    assert.equal((await agency().spawn({ task: 'go' })).status, 'spawning');
    assert.equal(api.seen('POST', '/api/spawn').length, 2);
  });
});

test('every write gets its own key unless one is given', async () => {
  await withApi(async (api, agency) => {
    api.json('POST', '/api/spawn', SPAWNED, 201);
    api.json('DELETE', '/api/agent/subagent_1_0001', { success: true, refund: 0.01 });
    const client = agency();
    await client.spawn({ task: 'one' });
    await client.spawn({ task: 'two' });
    await client.spawn({ task: 'three', idempotencyKey: 'my-key-3' });
    await client.cancel('subagent_1_0001');
    const keys = api.requests.map((r) => r.headers['idempotency-key']);
    assert.equal(keys[2], 'my-key-3');
    assert.equal(new Set(keys).size, 4);
    assert.deepEqual(api.requests[2].json, { task: 'three' });
  });
});

test('an unreachable server is a connection error after retries', async () => {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const agency = new sdk.Agency({
    apiKey: 'k',
    baseUrl: `http://127.0.0.1:${port}`,
    maxRetries: 1,
  });
  await assert.rejects(agency.health(), sdk.APIConnectionError);
});

test('signed requests verify on the bytes the server received, afresh on each retry', async () => {
  await withApi(async (api, agency) => {
    const secret = 'sig_secret_ü';
    api.on('POST', '/api/spawn', envelope(503, 'service_unavailable', 'Busy', { retry_after: 0 }), {
      status: 201,
      body: SPAWNED,
    });
    api.json('GET', '/api/agents', { data: [], pagination: { cursor: null, has_more: false } });
    const client = agency({ signingSecret: secret });
    await client.spawn({ model: 'k2p5', task: 'Écris « un poème » sur les budgets\n— 100 % ✓' });
    for await (const row of client.list({
      status: 'running',
      taskContains: 'a b&c',
      modelIn: ['k2p5', 'sonnet'],
    })) {
      assert.fail(`unexpected ${row}`);
    }
    assert.equal(api.requests.length, 3);
    for (const seen of api.requests) {
      assert.ok(signatureOk(seen, secret), seen.rawPath);
      assert.ok(Math.abs(Number(seen.headers['x-timestamp']) - Date.now() / 1000) <= 2);
    }
    const listed = api.requests[2];
    assert.equal(listed.query.task_contains, 'a b&c');
    assert.equal(listed.query.model_in, 'k2p5,sonnet');
    assert.notEqual(api.requests[0].headers['x-signature'], api.requests[1].headers['x-signature']);
  });
});

test('identical signed requests in one second carry different signatures', async () => {
  await withApi(async (api, agency) => {
    api.json('GET', '/api/agents/active', { agents: [], count: 0 });
    const client = agency({ signingSecret: 's' });
    for (let i = 0; i < 3; i += 1) await client.active();
    assert.equal(new Set(api.requests.map((r) => r.headers['x-signature'])).size, 3);
    assert.equal(new Set(api.requests.map((r) => r.headers['x-timestamp'])).size, 3);
    assert.ok(api.requests.every((r) => signatureOk(r, 's')));
  });
});

test('Retry-After reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', 1445412480000), 10);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', 1445412490000), 0);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(null), null);
});
