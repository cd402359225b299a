'use strict';
// Agency: the JavaScript client of one J1MSKY server.
//
//   const { Agency } = require('j1msky-sdk');
//   const agency = new Agency({ apiKey: 'dev_sk_…', baseUrl: 'http://localhost:8080' });
//   const agent = await agency.spawn({ model: 'k2p5', task: 'Write a haiku' });
//   const result = await agent.waitForCompletion();

const { Agent, agentPath } = require('./agent');
const { ConfigurationError, errorClassFor } = require('./errors');
const { Keys, Pricing, Security, Webhooks, iterateList } = require('./resources');
const { Transport } = require('./transport');

const DEFAULT_BASE_URL = 'http://localhost:8080';

class Agency {
  // apiKey defaults to J1MSKY_API_KEY, baseUrl to J1MSKY_BASE_URL (else http://localhost:8080;
  // /api is appended unless the URL ends in /api or /api/v1), signingSecret to
  // J1MSKY_SIGNING_SECRET. Durations are seconds: timeout bounds each HTTP request,
  // maxRetries and maxRetryWait bound the automatic retries of 429 and 503 answers.
  constructor({
    apiKey,
    baseUrl,
    timeout = 30,
    maxRetries = 3,
    maxRetryWait = 60,
    signingSecret,
    fetch,
  } = {}) {
    const env = (typeof process !== 'undefined' && process.env) || {};
    apiKey = apiKey || env.J1MSKY_API_KEY;
    if (!apiKey) throw new ConfigurationError('No API key: pass apiKey or set J1MSKY_API_KEY');
    this.transport = new Transport({
      apiKey,
      baseUrl: baseUrl || env.J1MSKY_BASE_URL || DEFAULT_BASE_URL,
      timeout,
      maxRetries,
      maxRetryWait,
      signingSecret: signingSecret || env.J1MSKY_SIGNING_SECRET || null,
      fetch,
    });
    this.pricing = new Pricing(this);
    this.webhooks = new Webhooks(this);
    this.keys = new Keys(this);
    this.security = new Security(this);
  }

  get baseUrl() {
    return this.transport.root;
  }

  // The last answer received: { status, headers, body, requestId, replayed }.
  get lastResponse() {
    return this.transport.lastResponse;
  }

  async get_(path, params) {
    return (await this.transport.request('GET', path, { params })).body;
  }

  async post_(path, fields) {
    const { idempotencyKey = null, ...body } = fields || {};
    return (await this.transport.request('POST', path, { body, idempotencyKey })).body;
  }

  // POST /spawn { model, task, priority, timeout (the agent's, seconds), maxTokens, fallback,
  // metadata, privacy, idempotencyKey } → Agent.
  async spawn(fields = {}) {
    if (fields.task === undefined || fields.task === null) {
      throw new TypeError("spawn() needs a 'task'");
    }
    return new Agent(this, await this.post_('spawn', fields));
  }

  // POST /spawn-team { team, task, priority, timeout, … } → Agent (one agent, one step a model).
  async spawnTeam(fields = {}) {
    return new Agent(this, await this.post_('spawn-team', fields));
  }

  // POST /spawn-batch: one entry per item, in order: an Agent, or the typed error (not thrown)
  // that refused it.
  async spawnBatch(agents, { idempotencyKey = null } = {}) {
    const body = await this.post_('spawn-batch', { agents, idempotencyKey });
    return body.results.map((result) => batchItem(this, result));
  }

  async get(agentId) {
    return new Agent(this, await this.get_(agentPath(agentId)));
  }

  // Every agent matching the filters, across all pages: for await (const a of agency.list({…})).
  list({ pageSize = 100, ...filters } = {}) {
    return iterateList(this, 'agents', filters, pageSize);
  }

  // One offset page of GET /agents as the server sends it (data, pagination, links, meta).
  listPage({ limit = 20, offset = 0, ...filters } = {}) {
    return this.get_('agents', { ...filters, limit, offset });
  }

  active() {
    return this.get_('agents/active');
  }

  // DELETE /agent/{id} → { success, message, agent_id, status, refund }.
  async cancel(agentId, { purge = false, idempotencyKey = null } = {}) {
    const params = purge ? { purge: 'true' } : null;
    const { body } = await this.transport.request('DELETE', agentPath(agentId), {
      params,
      idempotencyKey,
    });
    return body;
  }

  // Erase an agent's task and result now (DELETE /agent/{id}?purge=true), cancelling it first
  // if it has not ended; its cost stays.
  purge(agentId, { idempotencyKey = null } = {}) {
    return this.cancel(agentId, { purge: true, idempotencyKey });
  }

  // GET /privacy/export: every record of the key's owner, by kind (records).
  privacyExport() {
    return this.get_('privacy/export');
  }

  // The event feed, oldest first, following its cursor. With follow: true it never ends: once
  // caught up it polls every pollInterval seconds for events after the last one seen (stop it
  // with an AbortSignal as `signal`, or by leaving the loop).
  async *events({
    follow = false,
    pollInterval = 2,
    afterId = null,
    pageSize = 100,
    signal = null,
    ...filters
  } = {}) {
    let lastId = afterId;
    for (;;) {
      for await (const event of iterateList(
        this,
        'events',
        { ...filters, idGt: lastId },
        pageSize,
      )) {
        lastId = event.id;
        yield event;
      }
      if (!follow || (signal && signal.aborted)) return;
      await new Promise((resolve) => setTimeout(resolve, pollInterval * 1000));
      if (signal && signal.aborted) return;
    }
  }

  health() {
    return this.get_('health');
  }

  status() {
    return this.get_('orchestrator/status');
  }

  system() {
    return this.get_('system');
  }

  rateLimits() {
    return this.get_('rate-limits');
  }

  metrics() {
    return this.get_('metrics');
  }

  // POST /orchestrator/recommend-model { taskType, complexity, priority, estimatedTokens }.
  recommendModel(fields = {}) {
    return this.post_('orchestrator/recommend-model', fields);
  }

  usage({ start, end } = {}) {
    return this.get_('billing/usage', { start, end });
  }

  budget() {
    return this.get_('billing/budget');
  }

  async setDailyBudget(dailyBudget, { idempotencyKey = null } = {}) {
    const { body } = await this.transport.request('PUT', 'billing/budget', {
      body: { dailyBudget },
      idempotencyKey,
    });
    return body;
  }

  quote(fields = {}) {
    return this.pricing.quote(fields);
  }
}

function batchItem(agency, result) {
  if (result.success === false || result.error) {
    const error = result.error || {};
    const status = Number(error.code) || 400;
    const Cls = errorClassFor(status, error.type);
    return new Cls(error.message || `HTTP ${status}`, {
      status,
      type: error.type || null,
      requestId: error.request_id || null,
      details: error.details || null,
      retryAfter: error.retry_after ?? null,
      body: result,
    });
  }
  return new Agent(agency, result);
}

module.exports = { Agency, DEFAULT_BASE_URL };
