'use strict';
// The JavaScript client's calls against a scripted server on 127.0.0.1: what each sends and how
// it reads the answer, waiting, pagination, the event feed, and the endpoints the server is still
// gaining (orchestrator, system, webhooks), written to the API reference and semantics §8, §11.

const test = require('node:test');
const assert = require('node:assert/strict');

const sdk = require('..');
const { fakeApi } = require('./helpers/fake-server');

const AGENT = 'subagent_1700000000_1234';
const detail = (status, fields = {}) => ({
  status: 200,
  body: { agent_id: AGENT, model: 'k2p5', status, ...fields },
});
const page = (items, cursor = null) => ({
  status: 200,
  body: { data: items, pagination: { cursor, has_more: Boolean(cursor) } },
});

async function withApi(fn) {
  const api = await fakeApi();
  try {
    await fn(api, new sdk.Agency({ apiKey: 'dev_sk_test', baseUrl: api.url }));
  } finally {
    await api.stop();
  }
}

test('spawn sends camelCase fields in snake_case, only those given', async () => {
  await withApi(async (api, agency) => {
    api.json(
      'POST',
      '/api/spawn',
      { success: true, agent_id: AGENT, model: 'k2p5', status: 'spawning', estimated_cost: 0.0008 },
      201,
    );
    const agent = await agency.spawn({
      model: 'k2p5',
      task: 'Write a haiku',
      priority: 'high',
      maxTokens: 256,
      metadata: { ticketId: 7 },
    });
    assert.ok(agent instanceof sdk.Agent);
    assert.equal(agent.agentId, AGENT);
    assert.equal(agent.estimatedCost, 0.0008);
    assert.deepEqual(api.seen('POST', '/api/spawn')[0].json, {
      model: 'k2p5',
      task: 'Write a haiku',
      priority: 'high',
      max_tokens: 256,
      metadata: { ticketId: 7 },
    });
    await assert.rejects(agency.spawn({ model: 'k2p5' }), TypeError);
  });
});

test('waitForCompletion polls until the agent ends', async () => {
  await withApi(async (api, agency) => {
    const output = '# Review\nLooks fine.\n\n## Issues\n- divides by zero on []\n- no type hints\n';
    api.on(
      'GET',
      `/api/agent/${AGENT}`,
      detail('spawning'),
      detail('running'),
      detail('completed', { result: output, cost: 0.0012 }),
    );
    const seen = [];
    const agent = new sdk.Agent(agency, { agent_id: AGENT });
    const result = await agent.waitForCompletion({
      timeout: 10,
      pollInterval: 0.05,
      onProgress: (a) => seen.push(a.status),
    });
    assert.deepEqual(seen, ['spawning', 'running', 'completed']);
    assert.equal(result.status, 'completed');
    assert.equal(result.output, output);
    assert.equal(result.cost, 0.0012);
    assert.equal(result.issues, '- divides by zero on []\n- no type hints');
    assert.equal(result.summary, output);
  });
});

test('a failed agent throws with its result unless asked not to; a timeout throws', async () => {
  await withApi(async (api, agency) => {
    const error = { type: 'timeout', message: 'Run exceeded its 10 s timeout' };
    api.on('GET', `/api/agent/${AGENT}`, detail('failed', { error, cost: 0.0001 }));
    const agent = new sdk.Agent(agency, { agent_id: AGENT });
    const failed = await agent.waitForCompletion({ pollInterval: 0.01 }).catch((e) => e);
    assert.ok(failed instanceof sdk.AgentFailedError);
    assert.match(failed.message, /ended failed: Run exceeded/);
    assert.deepEqual(failed.result.error, error);
    const result = await agent.waitForCompletion({ raiseOnFailure: false });
    assert.equal(result.succeeded, false);
    api.on('GET', `/api/agent/${AGENT}`, detail('running'));
    const late = await agent.waitForCompletion({ timeout: 0.3, pollInterval: 0.1 }).catch((e) => e);
    assert.ok(late instanceof sdk.WaitTimeoutError);
    assert.equal(late.agent.status, 'running');
    assert.equal(api.seen('DELETE').length, 0);
  });
});

test('list follows cursor pages and passes filters', async () => {
  await withApi(async (api, agency) => {
    api.on(
      'GET',
      '/api/agents',
      page([{ agent_id: 'a1' }, { agent_id: 'a2' }], 'c2'),
      page([{ agent_id: 'a3' }]),
    );
    const ids = [];
    for await (const row of agency.list({
      status: 'completed',
      costGt: 0.5,
      filter: { model: { in: ['k2p5'] } },
    })) {
      ids.push(row.agent_id);
    }
    assert.deepEqual(ids, ['a1', 'a2', 'a3']);
    const [first, second] = api.seen('GET', '/api/agents');
    assert.deepEqual(first.query, {
      status: 'completed',
      cost_gt: '0.5',
      filter: '{"model":{"in":["k2p5"]}}',
      limit: '100',
      cursor: '',
    });
    assert.equal(second.query.cursor, 'c2');
  });
});

test('events follow the cursor, then poll after the last id', async () => {
  await withApi(async (api, agency) => {
    api.on('GET', '/api/events', page([{ id: 1 }], 'e1'), page([{ id: 2 }]), page([{ id: 3 }]));
    const ids = [];
    for await (const event of agency.events({ agentId: AGENT, follow: true, pollInterval: 0.01 })) {
      ids.push(event.id);
      if (ids.length === 3) break;
    }
    assert.deepEqual(ids, [1, 2, 3]);
    const [first, second, third] = api.seen('GET', '/api/events');
    assert.equal(first.query.agent_id, AGENT);
    assert.equal(first.query.id_gt, undefined);
    assert.equal(second.query.cursor, 'e1');
    assert.equal(third.query.id_gt, '2');
  });
});

test('spawnBatch gives an Agent or the typed error per item', async () => {
  await withApi(async (api, agency) => {
    api.json('POST', '/api/spawn-batch', {
      success: true,
      results: [
        { success: true, agent_id: AGENT, model: 'k2p5', status: 'spawning' },
        {
          success: false,
          error: {
            code: 402,
            type: 'budget_exceeded',
            message: 'Daily budget exceeded',
            request_id: 'req_b',
          },
        },
        {
          success: false,
          error: {
            code: 429,
            type: 'rate_limited',
            message: 'Rate limit exceeded',
            retry_after: 120,
          },
        },
      ],
    });
    const [agent, budget, limit] = await agency.spawnBatch([
      { model: 'k2p5', task: 'a' },
      { team: 'team_coding', task: 'b', maxTokens: 10 },
    ]);
    assert.ok(agent instanceof sdk.Agent);
    assert.ok(budget instanceof sdk.BudgetExceededError);
    assert.equal(budget.requestId, 'req_b');
    assert.ok(limit instanceof sdk.RateLimitError);
    assert.equal(limit.retryAfter, 120);
    assert.deepEqual(api.seen('POST', '/api/spawn-batch')[0].json, {
      agents: [
        { model: 'k2p5', task: 'a' },
        { team: 'team_coding', task: 'b', max_tokens: 10 },
      ],
    });
  });
});

test('orchestrator status, system and model recommendation', async () => {
  await withApi(async (api, agency) => {
    api.json('GET', '/api/orchestrator/status', { budget_alert_level: 'ok' });
    api.json('GET', '/api/system', { active_agents: 3 });
    api.json('POST', '/api/orchestrator/recommend-model', {
      recommended_model: 'k2p5',
      budget_available: true,
    });
    assert.equal((await agency.status()).budget_alert_level, 'ok');
    assert.equal((await agency.system()).active_agents, 3);
    const answer = await agency.recommendModel({
      taskType: 'coding',
      complexity: 'medium',
      priority: 'normal',
      estimatedTokens: 2500,
    });
    assert.equal(answer.recommended_model, 'k2p5');
    assert.deepEqual(api.seen('POST', '/api/orchestrator/recommend-model')[0].json, {
      task_type: 'coding',
      complexity: 'medium',
      priority: 'normal',
      estimated_tokens: 2500,
    });
  });
});

test('agent and pricing webhooks use their routes', async () => {
  await withApi(async (api, agency) => {
    api.json(
      'POST',
      '/api/webhooks',
      { success: true, webhook_id: 'wh_1', secret: 'whsec_abc' },
      201,
    );
    api.json('GET', '/api/webhooks', { data: [{ webhook_id: 'wh_1' }], pagination: {} });
    api.json('DELETE', '/api/webhooks/wh_1', { success: true });
    api.json('GET', '/api/webhooks/wh_1/deliveries', { data: [{ delivery_id: 'd1' }] });
    api.json('POST', '/api/webhooks/deliveries/d1/replay', { success: true });
    api.json('GET', '/api/webhooks/wh_1', { webhook_id: 'wh_1', status: 'active' });
    api.json('POST', '/api/webhooks/wh_1/pause', { webhook_id: 'wh_1', status: 'paused' });
    api.json('POST', '/api/webhooks/wh_1/resume', { webhook_id: 'wh_1', status: 'active' });
    api.json('POST', '/api/webhooks/wh_1/rotate-secret', { success: true, secret: 'whsec_n' });
    api.json('POST', '/api/webhooks/wh_1/test', { success: true, delivery_id: 'd2' });
    api.json('POST', '/api/pricing/webhook', { success: true, webhook_id: 'pricing_webhook_1' });
    api.json('GET', '/api/pricing/webhooks', {
      success: true,
      webhooks: [{ webhook_id: 'pricing_webhook_1' }],
      count: 1,
    });
    api.json('DELETE', '/api/pricing/webhook/pricing_webhook_1', { success: true });

    const hook = await agency.webhooks.create({
      url: 'https://example.com/hook',
      events: ['agent.completed'],
    });
    assert.equal(hook.secret, 'whsec_abc');
    assert.deepEqual(api.seen('POST', '/api/webhooks')[0].json, {
      url: 'https://example.com/hook',
      events: ['agent.completed'],
    });
    const collect = async (iterator) => {
      const out = [];
      for await (const x of iterator) out.push(x);
      return out;
    };
    assert.deepEqual(
      (await collect(agency.webhooks.list())).map((w) => w.webhook_id),
      ['wh_1'],
    );
    assert.deepEqual(
      (await collect(agency.webhooks.deliveries('wh_1'))).map((d) => d.delivery_id),
      ['d1'],
    );
    assert.equal((await agency.webhooks.replay('d1')).success, true);
    assert.equal((await agency.webhooks.get('wh_1')).status, 'active');
    assert.equal((await agency.webhooks.pause('wh_1')).status, 'paused');
    assert.equal((await agency.webhooks.resume('wh_1')).status, 'active');
    assert.equal((await agency.webhooks.rotateSecret('wh_1', { graceHours: 2 })).secret, 'whsec_n');
    assert.deepEqual(api.seen('POST', '/api/webhooks/wh_1/rotate-secret')[0].json, {
      grace_hours: 2,
    });
    assert.equal(
      (await agency.webhooks.test('wh_1', { event: 'agent.completed' })).delivery_id,
      'd2',
    );
    assert.equal((await agency.webhooks.delete('wh_1')).success, true);

    await agency.pricing.webhooks.create({
      url: 'https://x.test/p',
      events: ['pricing.quote_generated'],
      secret: 's3',
    });
    assert.equal(api.seen('POST', '/api/pricing/webhook')[0].json.secret, 's3');
    assert.deepEqual(
      (await collect(agency.pricing.webhooks.list())).map((w) => w.webhook_id),
      ['pricing_webhook_1'],
    );
    assert.equal((await agency.pricing.webhooks.delete('pricing_webhook_1')).success, true);
  });
});

test('security, privacy export and purge use their routes', async () => {
  await withApi(async (api, agency) => {
    api.json('PUT', '/api/security/ip-whitelist', { allowed_ips: ['10.0.0.0/8'], enforce: true });
    api.json('GET', '/api/security/ip-whitelist', { allowed_ips: ['10.0.0.0/8'], enforced: true });
    api.json('POST', '/api/security/block-ip', { success: true, block_id: 'blk_1' }, 201);
    api.json('GET', '/api/security/blocks', { data: [{ block_id: 'blk_1' }], pagination: {} });
    api.json('DELETE', '/api/security/blocks/blk_1', { block_id: 'blk_1', status: 'lifted' });
    api.json('POST', '/api/security/audit', { log_level: 'verbose' });
    api.json('GET', '/api/security/audit', { enabled: true });
    api.json('GET', '/api/security/audit/logs', { data: [{ id: 7 }], pagination: {} });
    api.json('GET', '/api/privacy/export', { success: true, records: { agents: [] } });
    api.json('DELETE', `/api/agent/${AGENT}`, { success: true, message: 'Agent content erased' });

    await agency.security.setIpWhitelist({ allowedIps: ['10.0.0.0/8'], logViolations: false });
    assert.deepEqual(api.seen('PUT', '/api/security/ip-whitelist')[0].json, {
      allowed_ips: ['10.0.0.0/8'],
      enforce: true,
      log_violations: false,
    });
    assert.equal((await agency.security.ipWhitelist()).enforced, true);
    await agency.security.blockIp({ ip: '198.51.100.7', durationHours: 2 });
    assert.deepEqual(api.seen('POST', '/api/security/block-ip')[0].json, {
      ip: '198.51.100.7',
      duration_hours: 2,
    });
    const collect = async (iterator) => {
      const out = [];
      for await (const x of iterator) out.push(x);
      return out;
    };
    const blocks = await collect(agency.security.blocks({ status: 'active' }));
    assert.deepEqual(
      blocks.map((b) => b.block_id),
      ['blk_1'],
    );
    assert.equal(api.seen('GET', '/api/security/blocks')[0].query.status, 'active');
    assert.equal((await agency.security.unblock('blk_1')).status, 'lifted');
    await agency.security.configureAudit({ logLevel: 'verbose', retentionDays: 30 });
    assert.deepEqual(api.seen('POST', '/api/security/audit')[0].json, {
      log_level: 'verbose',
      retention_days: 30,
    });
    assert.equal((await agency.security.auditConfig()).enabled, true);
    const logs = await collect(agency.security.auditLogs({ event: 'config.change' }));
    assert.deepEqual(
      logs.map((e) => e.id),
      [7],
    );
    assert.deepEqual((await agency.privacyExport()).records, { agents: [] });
    assert.equal((await agency.purge(AGENT)).message, 'Agent content erased');
    assert.equal(api.seen('DELETE', `/api/agent/${AGENT}`)[0].query.purge, 'true');
  });
});

test('ids are sent as one path segment', async () => {
  await withApi(async (api, agency) => {
    api.json('GET', '/api/agent/a%2Fb%3Fc', { agent_id: 'a/b?c', status: 'running' });
    assert.equal((await agency.get('a/b?c')).agentId, 'a/b?c');
  });
});

test('textSection finds the text under a heading', () => {
  const cases = [
    ['# Summary\nAI agents grew.\n# Details\nmore', 'summary', 'AI agents grew.'],
    ['Intro\n## Issues found\n- a\n### Detail\nx\n## Next\ny', 'issues', '- a\n### Detail\nx'],
    ['**Summary**\nShort.\n**Body**\nLong.', 'Summary', 'Short.'],
    ['Issues:\n1. off by one\nFixes:\nnone', 'issues', '1. off by one'],
    ['No headings at all', 'summary', null],
    ['# Summary\n\n# Other\ntext', 'summary', null],
    [null, 'summary', null],
  ];
  for (const [text, name, expected] of cases) assert.equal(sdk.textSection(text, name), expected);
});
