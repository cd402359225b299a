// TypeScript declarations of j1msky-sdk. Request fields are camelCase (sent as snake_case);
// answers are the server's JSON as sent (snake_case). Durations are seconds.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: any };
export type Priority = 'low' | 'normal' | 'high';
export type AgentStatus = 'spawning' | 'running' | 'completed' | 'failed' | 'cancelled';

export const VERSION: string;

export interface AgencyOptions {
  /** Default: process.env.J1MSKY_API_KEY. */
  apiKey?: string;
  /** Server URL (`/api` appended unless present); default J1MSKY_BASE_URL or localhost:8080. */
  baseUrl?: string;
  /** Seconds one HTTP request may take (default 30). */
  timeout?: number;
  /** Retries of 429/502/503/504 and broken connections (default 3). */
  maxRetries?: number;
  /** A Retry-After longer than this (seconds, default 60) is thrown instead of waited. */
  maxRetryWait?: number;
  /** Sign every request (X-Timestamp, X-Signature). Default: J1MSKY_SIGNING_SECRET. */
  signingSecret?: string;
  /** A fetch implementation (default: the global fetch of Node >= 18). */
  fetch?: typeof fetch;
}

export interface SpawnOptions {
  model?: string;
  task: string;
  priority?: Priority;
  /** The agent's own timeout in seconds (10–3600, default 300). */
  timeout?: number;
  maxTokens?: number;
  fallback?: boolean;
  metadata?: JsonObject;
  privacy?: JsonObject;
  idempotencyKey?: string;
}

export interface TeamOptions extends Omit<SpawnOptions, 'model' | 'privacy'> {
  team: string;
}

export interface WaitOptions {
  /** Seconds to wait (default 600; null: until the agent ends). */
  timeout?: number | null;
  /** Fixed seconds between polls (default: 0.25 growing to 5). */
  pollInterval?: number | null;
  onProgress?: (agent: Agent) => void;
  /** Throw AgentFailedError when the agent ends failed or cancelled (default true). */
  raiseOnFailure?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  requestId: string | null;
  replayed: boolean;
}

export class Agent {
  readonly data: JsonObject;
  readonly agentId: string;
  readonly model: string;
  readonly status: AgentStatus;
  readonly estimatedCost: number | undefined;
  readonly requestedModel: string;
  readonly simulated: boolean | undefined;
  readonly done: boolean;
  refresh(): Promise<Agent>;
  cancel(options?: { purge?: boolean; idempotencyKey?: string }): Promise<JsonObject>;
  waitForCompletion(options?: WaitOptions): Promise<AgentResult>;
}

export class AgentResult {
  constructor(data: JsonObject);
  readonly data: JsonObject;
  readonly agentId: string;
  readonly status: AgentStatus;
  /** The result text (a team's: its last step's). */
  readonly output: string | null;
  /** The actual cost in USD. */
  readonly cost: number | null;
  readonly model: string;
  readonly usage: { input_tokens: number; output_tokens: number } | null;
  readonly error: { type: string; message: string } | null;
  readonly simulated: boolean | null;
  readonly steps: JsonObject[] | null;
  readonly succeeded: boolean;
  /** The text under the output's "Summary" heading, else the whole output. */
  readonly summary: string | null;
  /** The text under the output's "Issues" heading, else the whole output. */
  readonly issues: string | null;
  section(name: string): string | null;
}

export function textSection(text: string | null, name: string): string | null;

export interface ListFilters {
  pageSize?: number;
  status?: string;
  model?: string;
  team?: string;
  sort?: string;
  filter?: JsonObject;
  [filter: string]: any;
}

export interface EventOptions extends ListFilters {
  type?: string;
  agentId?: string;
  follow?: boolean;
  pollInterval?: number;
  afterId?: number;
  signal?: AbortSignal;
}

export interface Pricing {
  readonly webhooks: Webhooks;
  status(): Promise<JsonObject>;
  health(): Promise<JsonObject>;
  report(): Promise<JsonObject>;
  quote(fields?: JsonObject): Promise<JsonObject>;
  batchQuotes(fields?: JsonObject): Promise<JsonObject>;
  decision(fields?: JsonObject): Promise<JsonObject>;
  scenario(fields: { scenarios: JsonObject[]; deliveryType?: string }): Promise<JsonObject>;
  portfolioAlert(fields?: JsonObject): Promise<JsonObject>;
  weeklyMetrics(fields?: { quotes?: JsonObject[] }): Promise<JsonObject>;
  weeklyComparison(fields?: JsonObject): Promise<JsonObject>;
  experimentSummary(fields: { quotes: JsonObject[] }): Promise<JsonObject>;
  exceptionAlert(fields?: JsonObject): Promise<JsonObject>;
  policy(): Promise<JsonObject>;
  updatePolicy(changes: JsonObject): Promise<JsonObject>;
  quotes(filters?: ListFilters): AsyncGenerator<JsonObject>;
  getQuote(quoteId: string): Promise<JsonObject>;
  decisions(filters?: ListFilters): AsyncGenerator<JsonObject>;
  getDecision(decisionId: string): Promise<JsonObject>;
  exceptions(filters?: ListFilters): AsyncGenerator<JsonObject>;
  createException(fields: {
    decisionId: string;
    approver?: string;
    reason?: string;
  }): Promise<JsonObject>;
  closeException(
    exceptionId: string,
    fields?: { closedBy?: string; resolution?: string },
  ): Promise<JsonObject>;
  reports(filters?: ListFilters): AsyncGenerator<JsonObject>;
  getReport(date: string): Promise<JsonObject>;
}

export interface Webhooks {
  readonly kind: 'agent' | 'pricing';
  create(fields: {
    url: string;
    events: string[];
    secret?: string;
    idempotencyKey?: string;
  }): Promise<JsonObject>;
  list(filters?: ListFilters): AsyncGenerator<JsonObject>;
  delete(webhookId: string): Promise<JsonObject>;
  deliveries(webhookId: string, filters?: ListFilters): AsyncGenerator<JsonObject>;
  get(webhookId: string): Promise<JsonObject>;
  pause(webhookId: string): Promise<JsonObject>;
  resume(webhookId: string): Promise<JsonObject>;
  rotateSecret(
    webhookId: string,
    options?: { secret?: string; graceHours?: number },
  ): Promise<JsonObject>;
  replay(deliveryId: string): Promise<JsonObject>;
  test(webhookId: string, options?: { event?: string }): Promise<JsonObject>;
}

export interface Keys {
  create(fields: { name: string; scopes: string[]; [field: string]: any }): Promise<JsonObject>;
  list(filters?: ListFilters): AsyncGenerator<JsonObject>;
  get(keyId: string): Promise<JsonObject>;
  revoke(keyId: string, options?: { reason?: string; notifyUser?: boolean }): Promise<JsonObject>;
  rotate(keyId: string, options?: { graceHours?: number }): Promise<JsonObject>;
}

export interface Security {
  ipWhitelist(): Promise<JsonObject>;
  setIpWhitelist(options: {
    allowedIps: string[];
    enforce?: boolean;
    logViolations?: boolean;
    idempotencyKey?: string;
  }): Promise<JsonObject>;
  blockIp(options: { ip: string; reason?: string; durationHours?: number }): Promise<JsonObject>;
  blocks(filters?: ListFilters): AsyncGenerator<JsonObject>;
  unblock(blockId: string): Promise<JsonObject>;
  auditConfig(): Promise<JsonObject>;
  configureAudit(fields?: {
    enabled?: boolean;
    logLevel?: 'minimal' | 'standard' | 'verbose';
    retentionDays?: number;
    includeRequestBody?: boolean;
    includeResponseBody?: boolean;
    events?: string[];
    idempotencyKey?: string;
  }): Promise<JsonObject>;
  auditLogs(filters?: ListFilters): AsyncGenerator<JsonObject>;
}

export class Agency {
  constructor(options?: AgencyOptions);
  readonly baseUrl: string;
  readonly lastResponse: ApiResponse | null;
  readonly pricing: Pricing;
  readonly webhooks: Webhooks;
  readonly keys: Keys;
  readonly security: Security;
  spawn(options: SpawnOptions): Promise<Agent>;
  spawnTeam(options: TeamOptions): Promise<Agent>;
  spawnBatch(
    agents: Array<SpawnOptions | TeamOptions>,
    options?: { idempotencyKey?: string },
  ): Promise<Array<Agent | APIError>>;
  get(agentId: string): Promise<Agent>;
  list(filters?: ListFilters): AsyncGenerator<JsonObject>;
  listPage(options?: ListFilters & { limit?: number; offset?: number }): Promise<JsonObject>;
  active(): Promise<JsonObject>;
  cancel(
    agentId: string,
    options?: { purge?: boolean; idempotencyKey?: string },
  ): Promise<JsonObject>;
  purge(agentId: string, options?: { idempotencyKey?: string }): Promise<JsonObject>;
  privacyExport(): Promise<JsonObject>;
  events(options?: EventOptions): AsyncGenerator<JsonObject>;
  health(): Promise<JsonObject>;
  status(): Promise<JsonObject>;
  system(): Promise<JsonObject>;
  rateLimits(): Promise<JsonObject>;
  metrics(): Promise<string>;
  recommendModel(fields?: {
    taskType?: string;
    complexity?: string;
    priority?: Priority;
    estimatedTokens?: number;
    idempotencyKey?: string;
  }): Promise<JsonObject>;
  usage(range?: { start?: string; end?: string }): Promise<JsonObject>;
  budget(): Promise<JsonObject>;
  setDailyBudget(dailyBudget: number, options?: { idempotencyKey?: string }): Promise<JsonObject>;
  quote(fields?: JsonObject): Promise<JsonObject>;
}

export class J1mskyError extends Error {}
export class ConfigurationError extends J1mskyError {}
export class APIConnectionError extends J1mskyError {}
export class APITimeoutError extends APIConnectionError {}

export class APIError extends J1mskyError {
  readonly status: number;
  readonly code: number;
  readonly type: string | null;
  readonly requestId: string | null;
  readonly details: any;
  /** Seconds, as the server sent it (429). */
  readonly retryAfter: number | null;
  readonly body: any;
  readonly headers: Record<string, string>;
  /** The envelope's message alone (`message` adds status, type and request id). */
  readonly serverMessage: string;
}
export class ValidationError extends APIError {}
export class AuthenticationError extends APIError {}
export class BudgetExceededError extends APIError {}
export class PermissionDeniedError extends APIError {}
export class NotFoundError extends APIError {}
export class ConflictError extends APIError {}
export class RateLimitError extends APIError {}
export class ServerError extends APIError {}
export class ServiceUnavailableError extends ServerError {}

export class AgentFailedError extends J1mskyError {
  readonly result: AgentResult;
}
export class WaitTimeoutError extends J1mskyError {
  readonly agent: Agent;
  readonly waited: number;
}
