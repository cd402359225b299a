'use strict';
// An agent as the client sees it (a handle to refresh, wait for and cancel) and its result.

const { AgentFailedError, WaitTimeoutError } = require('./errors');

const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);
// Polling without an explicit interval starts fast and slows down: 0.25 s, ×1.5 each time, up
// to 5 s, so short runs return at once and long ones spend little of the key's request limit.
const FIRST_POLL_SECONDS = 0.25;
const MAX_POLL_SECONDS = 5;

// A heading line: Markdown #…######, a wholly bold line **Issues**, or a label line "Issues:".
const HEADING =
  /^\s*(?:(#{1,6})\s+(.+?)\s*#*\s*|\*\*([^*]+?)\*\*:?\s*|([A-Za-z][\w ]{0,40}?):\s*)$/;

function headingOf(line) {
  const m = HEADING.exec(line);
  if (!m) return null;
  return { level: m[1] ? m[1].length : 7, title: m[2] || m[3] || m[4] || '' };
}

// The text under the first heading whose title contains `name` (any case), or null. A `#`
// section runs to the next heading of the same or a higher level; the others to any heading.
function textSection(text, name) {
  if (!text) return null;
  const wanted = name.trim().toLowerCase();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const heading = headingOf(lines[i]);
    if (!heading || !heading.title.toLowerCase().includes(wanted)) continue;
    const body = [];
    for (const line of lines.slice(i + 1)) {
      const other = headingOf(line);
      if (other && other.level <= heading.level) break;
      body.push(line);
    }
    const section = body.join('\n').trim();
    if (section) return section;
  }
  return null;
}

// A finished agent: what waitForCompletion() returns. `output` is the result text (a team's:
// its last step's); `summary` / `issues` are the text under the output's "Summary" / "Issues"
// heading when it has one, else the whole output.
class AgentResult {
  constructor(data) {
    this.data = data;
  }

  get agentId() {
    return this.data.agent_id;
  }

  get status() {
    return this.data.status;
  }

  get output() {
    return this.data.result ?? null;
  }

  get cost() {
    return this.data.cost ?? null;
  }

  get model() {
    return this.data.model;
  }

  get usage() {
    return this.data.usage ?? null;
  }

  get error() {
    return this.data.error ?? null;
  }

  get simulated() {
    return this.data.simulated ?? null;
  }

  get steps() {
    return this.data.steps ?? null;
  }

  get succeeded() {
    return this.status === 'completed';
  }

  section(name) {
    return textSection(this.output, name);
  }

  get summary() {
    return this.section('summary') || this.output;
  }

  get issues() {
    return this.section('issues') || this.output;
  }

  toString() {
    return this.output || '';
  }
}

function agentPath(agentId) {
  return `agent/${encodeURIComponent(String(agentId))}`;
}

// A spawned agent. `data` holds every field the server sent (snake_case); the common ones are
// also camelCase getters.
class Agent {
  constructor(agency, data) {
    Object.defineProperty(this, 'agency', { value: agency, enumerable: false });
    this.data = data;
  }

  get agentId() {
    return this.data.agent_id;
  }

  get model() {
    return this.data.model;
  }

  get status() {
    return this.data.status;
  }

  get estimatedCost() {
    return this.data.estimated_cost;
  }

  get requestedModel() {
    return this.data.requested_model ?? this.data.model;
  }

  get simulated() {
    return this.data.simulated;
  }

  get done() {
    return TERMINAL_STATUSES.has(this.data.status);
  }

  async refresh() {
    this.data = (await this.agency.transport.request('GET', agentPath(this.agentId))).body;
    return this;
  }

  cancel(options = {}) {
    return this.agency.cancel(this.agentId, options);
  }

  // Poll until the agent ends; resolve its AgentResult. `timeout` (seconds, default 600; null
  // waits until it ends) throws WaitTimeoutError when passed (the agent keeps running).
  // `pollInterval` fixes the period (default 0.25 s growing to 5 s). `onProgress(agent)` runs
  // after every poll. A failed or cancelled agent throws AgentFailedError (its .result holds the
  // details) unless raiseOnFailure is false.
  async waitForCompletion({
    timeout = 600,
    pollInterval = null,
    onProgress = null,
    raiseOnFailure = true,
  } = {}) {
    const started = Date.now();
    const deadline = timeout == null ? null : started + timeout * 1000;
    let interval = pollInterval || FIRST_POLL_SECONDS;
    for (;;) {
      await this.refresh();
      if (onProgress) onProgress(this);
      if (this.done) break;
      const now = Date.now();
      if (deadline !== null && now >= deadline) {
        throw new WaitTimeoutError(this, (now - started) / 1000);
      }
      const pause = deadline === null ? interval : Math.min(interval, (deadline - now) / 1000);
      await new Promise((resolve) => setTimeout(resolve, pause * 1000));
      if (!pollInterval) interval = Math.min(interval * 1.5, MAX_POLL_SECONDS);
    }
    const result = new AgentResult(this.data);
    if (raiseOnFailure && !result.succeeded) throw new AgentFailedError(result);
    return result;
  }
}

module.exports = { Agent, AgentResult, agentPath, textSection, TERMINAL_STATUSES };
