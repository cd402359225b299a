'use strict';
// Typed errors: one class per kind of failure a caller may handle (semantics §2).

class J1mskyError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}

class ConfigurationError extends J1mskyError {}
class APIConnectionError extends J1mskyError {}
class APITimeoutError extends APIConnectionError {}

class APIError extends J1mskyError {
  constructor(
    message,
    {
      status,
      type = null,
      requestId = null,
      details = null,
      retryAfter = null,
      body = null,
      headers = {},
    } = {},
  ) {
    const parts = [String(status)];
    if (type) parts.push(type);
    if (requestId) parts.push(`request_id ${requestId}`);
    super(`${message} (${parts.join(', ')})`);
    this.status = status;
    this.code = status;
    this.type = type;
    this.requestId = requestId;
    this.details = details;
    this.retryAfter = retryAfter; // seconds, as the server sends it
    this.body = body;
    this.headers = headers;
    this.serverMessage = message;
  }
}

class ValidationError extends APIError {}
class AuthenticationError extends APIError {}
class BudgetExceededError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class RateLimitError extends APIError {}
class ServerError extends APIError {}
class ServiceUnavailableError extends ServerError {}

class AgentFailedError extends J1mskyError {
  constructor(result) {
    const error = result.error || {};
    const reason = error.message || error.type || result.status;
    super(`agent ${result.agentId} ended ${result.status}: ${reason}`);
    this.result = result;
  }
}

class WaitTimeoutError extends J1mskyError {
  constructor(agent, waited) {
    super(`agent ${agent.agentId} still ${agent.status} after waiting ${Math.round(waited)} s`);
    this.agent = agent;
    this.waited = waited;
  }
}

const BY_STATUS = {
  400: ValidationError,
  401: AuthenticationError,
  402: BudgetExceededError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

function errorClassFor(status, type) {
  if (type === 'budget_exceeded') return BudgetExceededError;
  if (BY_STATUS[status]) return BY_STATUS[status];
  if (status >= 500) return ServerError;
  return APIError;
}

// The typed error for an error answer: the envelope, the reference's flat form, or any body.
function errorFromResponse(status, body, headers, retryAfter) {
  const error = body && typeof body === 'object' ? body.error : undefined;
  let type = null;
  let message = `HTTP ${status}`;
  let requestId = null;
  let details = null;
  if (error && typeof error === 'object') {
    type = error.type || null;
    message = error.message || message;
    requestId = error.request_id || null;
    details = error.details || null;
    if (retryAfter == null && typeof error.retry_after === 'number') retryAfter = error.retry_after;
  } else if (typeof error === 'string' && error) {
    message = error;
  }
  requestId = requestId || headers['x-request-id'] || null;
  const Cls = errorClassFor(status, type);
  return new Cls(message, { status, type, requestId, details, retryAfter, body, headers });
}

module.exports = {
  J1mskyError,
  ConfigurationError,
  APIConnectionError,
  APITimeoutError,
  APIError,
  ValidationError,
  AuthenticationError,
  BudgetExceededError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  ServiceUnavailableError,
  AgentFailedError,
  WaitTimeoutError,
  errorClassFor,
  errorFromResponse,
};
