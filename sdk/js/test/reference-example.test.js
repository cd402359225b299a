'use strict';
// The API reference's "SDK Usage" JavaScript example, unchanged except for the key and URL
// (J1MSKY_API_KEY and J1MSKY_BASE_URL), run against a live server. Its `await`s need an async
// function in CommonJS: referenceExample is that function, and `console` is what it prints to.

const test = require('node:test');
const assert = require('node:assert/strict');

const live = Boolean(process.env.J1MSKY_BASE_URL && process.env.J1MSKY_API_KEY);

// prettier-ignore
async function referenceExample(console) {
  // --- the reference's example -------------------------------------------------------------------
  const { Agency } = require('j1msky-sdk');

  const agency = new Agency({
    apiKey: process.env.J1MSKY_API_KEY,
    baseUrl: process.env.J1MSKY_BASE_URL
  });

  // Spawn agent
  const agent = await agency.spawn({
    model: 'k2p5',
    task: 'Write a blog post about AI',
    priority: 'normal'
  });

  // Get result
  const result = await agent.waitForCompletion();
  console.log(result.output);
  // --- end of the example ------------------------------------------------------------------------
  return result;
}

const skip = !live && 'needs J1MSKY_BASE_URL and J1MSKY_API_KEY';

test('the reference JavaScript example', { skip }, async () => {
  const printed = [];
  const result = await referenceExample({ log: (...args) => printed.push(args.join(' ')) });
  assert.equal(result.status, 'completed');
  assert.match(printed[0], /^\[simulated\] .*Write a blog post about AI/);
});
