'use strict';
// The J1MSKY JavaScript client: const { Agency } = require('j1msky-sdk');

const { Agency } = require('./lib/agency');
const { Agent, AgentResult, textSection } = require('./lib/agent');
const { errorClassFor, errorFromResponse, ...errors } = require('./lib/errors');
const { VERSION } = require('./lib/transport');

module.exports = { Agency, Agent, AgentResult, textSection, VERSION, ...errors };
