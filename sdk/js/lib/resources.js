'use strict';
// The client's groups of calls beyond agents (pricing, webhooks, keys, security) and list
// iteration.

const seg = (value) => encodeURIComponent(String(value));

// Every item of a list endpoint, page after page: cursor pages (`cursor=` first, then each
// page's pagination.cursor), offset pages by next_offset, or a non-paginated answer's one list.
async function* iterateList(agency, path, params = {}, pageSize = 100) {
  let paging = { limit: pageSize, cursor: '' };
  for (;;) {
    const { body } = await agency.transport.request('GET', path, {
      params: { ...params, ...paging },
    });
    if (!body || typeof body !== 'object' || !Array.isArray(body.data)) {
      const list = Array.isArray(body)
        ? body
        : Object.values(body || {}).find((value) => Array.isArray(value)) || [];
      yield* list;
      return;
    }
    yield* body.data;
    const pagination = body.pagination || {};
    if (!pagination.has_more) return;
    if (pagination.cursor) paging = { limit: pageSize, cursor: pagination.cursor };
    else if (pagination.next_offset != null) {
      paging = { limit: pageSize, offset: pagination.next_offset };
    } else return;
  }
}

function splitKey(fields = {}) {
  const { idempotencyKey = null, ...rest } = fields;
  return [rest, idempotencyKey];
}

// agency.pricing: the pricing engine's calculators, records and webhooks.
class Pricing {
  constructor(agency) {
    this.agency = agency;
    this.webhooks = new Webhooks(agency, 'pricing');
  }

  async get(path, params) {
    return (await this.agency.transport.request('GET', `pricing/${path}`, { params })).body;
  }

  async post(path, fields = {}) {
    const [body, idempotencyKey] = splitKey(fields);
    return (
      await this.agency.transport.request('POST', `pricing/${path}`, { body, idempotencyKey })
    ).body;
  }

  status() {
    return this.get('status');
  }

  health() {
    return this.get('health');
  }

  report() {
    return this.get('report');
  }

  // { model, estimatedInput, estimatedOutput, complexity, deliveryType, segment, estimatedTokens }
  quote(fields = {}) {
    return this.post('quote', fields);
  }

  batchQuotes(fields = {}) {
    return this.post('batch-quotes', fields);
  }

  decision(fields = {}) {
    return this.post('decision', fields);
  }

  scenario({ scenarios, deliveryType } = {}) {
    return this.post('scenario', { scenarios, deliveryType });
  }

  portfolioAlert(fields = {}) {
    return this.post('portfolio-alert', fields);
  }

  weeklyMetrics({ quotes } = {}) {
    return this.post('weekly-metrics', { quotes });
  }

  weeklyComparison(fields = {}) {
    return this.post('weekly-comparison', fields);
  }

  experimentSummary({ quotes } = {}) {
    return this.post('experiment-summary', { quotes });
  }

  exceptionAlert(fields = {}) {
    return this.post('exception-alert', fields);
  }

  policy() {
    return this.get('policy');
  }

  async updatePolicy(changes = {}) {
    const [body, idempotencyKey] = splitKey(changes);
    return (await this.agency.transport.request('PUT', 'pricing/policy', { body, idempotencyKey }))
      .body;
  }

  quotes(filters = {}) {
    return iterateList(this.agency, 'pricing/quotes', filters);
  }

  getQuote(quoteId) {
    return this.get(`quotes/${seg(quoteId)}`);
  }

  decisions(filters = {}) {
    return iterateList(this.agency, 'pricing/decisions', filters);
  }

  getDecision(decisionId) {
    return this.get(`decisions/${seg(decisionId)}`);
  }

  exceptions(filters = {}) {
    return iterateList(this.agency, 'pricing/exceptions', filters);
  }

  createException(fields = {}) {
    return this.post('exceptions', fields);
  }

  closeException(exceptionId, fields = {}) {
    return this.post(`exceptions/${seg(exceptionId)}/close`, fields);
  }

  reports(filters = {}) {
    return iterateList(this.agency, 'pricing/reports', filters);
  }

  getReport(date) {
    return this.get(`reports/${seg(date)}`);
  }
}

// Where each kind of webhook lives (semantics §11).
// A delivery of either kind is replayed by its own id.
const WEBHOOK_ROUTES = {
  agent: { create: 'webhooks', list: 'webhooks', one: 'webhooks/', replay: 'webhooks/deliveries/' },
  pricing: {
    create: 'pricing/webhook',
    list: 'pricing/webhooks',
    one: 'pricing/webhook/',
    replay: 'webhooks/deliveries/',
  },
};

// agency.webhooks (agent events) and agency.pricing.webhooks (pricing events).
class Webhooks {
  constructor(agency, kind = 'agent') {
    this.agency = agency;
    this.kind = kind;
    this.routes = WEBHOOK_ROUTES[kind];
  }

  one(webhookId, tail = '') {
    return `${this.routes.one}${seg(webhookId)}${tail}`;
  }

  async call(method, path, options) {
    return (await this.agency.transport.request(method, path, options)).body;
  }

  // Without a secret the server generates one (whsec_…) and returns it once, in this answer.
  create({ url, events, secret, idempotencyKey } = {}) {
    return this.call('POST', this.routes.create, { body: { url, events, secret }, idempotencyKey });
  }

  list(filters = {}) {
    return iterateList(this.agency, this.routes.list, filters);
  }

  delete(webhookId) {
    return this.call('DELETE', this.one(webhookId));
  }

  deliveries(webhookId, filters = {}) {
    return iterateList(this.agency, this.one(webhookId, '/deliveries'), filters);
  }

  get(webhookId) {
    return this.call('GET', this.one(webhookId));
  }

  // Hold deliveries (they are kept) until resume().
  pause(webhookId) {
    return this.call('POST', this.one(webhookId, '/pause'), { body: {} });
  }

  // Deliver again, held deliveries first; also re-enables a disabled endpoint.
  resume(webhookId) {
    return this.call('POST', this.one(webhookId, '/resume'), { body: {} });
  }

  // A new signing secret (shown once); for graceHours (default 24) deliveries carry both.
  rotateSecret(webhookId, { secret, graceHours } = {}) {
    return this.call('POST', this.one(webhookId, '/rotate-secret'), {
      body: { secret, graceHours },
    });
  }

  // Send a logged delivery again, now, with the same webhook-id.
  replay(deliveryId) {
    return this.call('POST', `${this.routes.replay}${seg(deliveryId)}/replay`, { body: {} });
  }

  test(webhookId, { event } = {}) {
    return this.call('POST', this.one(webhookId, '/test'), { body: { event } });
  }
}

// agency.keys: API keys (admin:write).
class Keys {
  constructor(agency) {
    this.agency = agency;
  }

  async call(method, path, options) {
    return (await this.agency.transport.request(method, path, options)).body;
  }

  create(fields = {}) {
    const [body, idempotencyKey] = splitKey(fields);
    return this.call('POST', 'keys', { body, idempotencyKey });
  }

  list(filters = {}) {
    return iterateList(this.agency, 'keys', filters);
  }

  get(keyId) {
    return this.call('GET', `keys/${seg(keyId)}`);
  }

  revoke(keyId, { reason, notifyUser } = {}) {
    return this.call('DELETE', `keys/${seg(keyId)}`, { body: { reason, notifyUser } });
  }

  rotate(keyId, { graceHours } = {}) {
    return this.call('POST', `keys/${seg(keyId)}/rotate`, { body: { graceHours } });
  }
}

// agency.security: the IP allowlist, blocks and the audit log (admin:write; a change needs a key
// whose owner is staff).
class Security {
  constructor(agency) {
    this.agency = agency;
  }

  async call(method, path, options) {
    return (await this.agency.transport.request(method, path, options)).body;
  }

  ipWhitelist() {
    return this.call('GET', 'security/ip-whitelist');
  }

  // Replace the allowlist (CIDRs or addresses, v4/v6); 409 when it would refuse your address.
  setIpWhitelist({ allowedIps, enforce = true, logViolations, idempotencyKey = null } = {}) {
    const body = { allowedIps, enforce, logViolations };
    return this.call('PUT', 'security/ip-whitelist', { body, idempotencyKey });
  }

  blockIp({ ip, reason, durationHours } = {}) {
    return this.call('POST', 'security/block-ip', { body: { ip, reason, durationHours } });
  }

  blocks(filters = {}) {
    return iterateList(this.agency, 'security/blocks', filters);
  }

  unblock(blockId) {
    return this.call('DELETE', `security/blocks/${seg(blockId)}`);
  }

  auditConfig() {
    return this.call('GET', 'security/audit');
  }

  // enabled, logLevel (minimal, standard, verbose), retentionDays, includeRequestBody,
  // includeResponseBody, events; what is left out stays.
  configureAudit(fields = {}) {
    const [body, idempotencyKey] = splitKey(fields);
    return this.call('POST', 'security/audit', { body, idempotencyKey });
  }

  auditLogs(filters = {}) {
    return iterateList(this.agency, 'security/audit/logs', filters);
  }
}

module.exports = { Pricing, Webhooks, Keys, Security, iterateList, WEBHOOK_ROUTES };
