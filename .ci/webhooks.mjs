// A webhook receiver in Node: subscribes to a running Parley through REST,
// drives conversations through GraphQL, and verifies every delivery with
// the Standard Webhooks reference library (npm standardwebhooks). Called
// by .ci/webhooks.sh, which installs it and starts the server with
// --webhook-allow-private.
//
//	PARLEY_URL=http://127.0.0.1:38xxx PARLEY_KEY=sk_test_... \
//	  PARLEY_NODE_MODULES=/path/to/node_modules node .ci/webhooks.mjs
//
// Exits non-zero on the first failed check.
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_KEY;
const modules = process.env.PARLEY_NODE_MODULES;
if (!base || !key || !modules) {
  console.error('webhooks: set PARLEY_URL, PARLEY_KEY and PARLEY_NODE_MODULES');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { Webhook } = require('standardwebhooks');

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

// The receiver: every request, as it arrived.
const received = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(204);
    res.end();
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const receiverURL = `http://127.0.0.1:${server.address().port}/hooks`;

async function call(method, url, body) {
  const res = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) fail(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}
async function graphql(query, variables) {
  const out = await call('POST', '/graphql', { query, variables });
  if (out.errors) fail(`${query}: ${JSON.stringify(out.errors)}`);
  return out.data;
}
async function waitFor(what, ok) {
  for (let i = 0; i < 300; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`timed out waiting for ${what}; received ${received.map((r) => r.headers['webhook-id']).join(', ')}`);
}

const created = await call('POST', '/v1/backend/webhooks', {
  url: receiverURL,
  description: 'CI receiver',
  event_types: ['conversation.started', 'conversation.completed', 'conversation.abandoned'],
});
const endpoint = created.data;
if (!/^whsec_/.test(endpoint.secret)) fail(`no whsec_ secret: ${JSON.stringify(endpoint)}`);

const agent = (await graphql('mutation { createAgent(input: {name: "CI"}) { id } }')).createAgent.id;
const participant = (await graphql('mutation { createParticipant(input: {email: "ada@example.com", firstName: "Ada"}) { id } }')).createParticipant.id;
async function interview(end) {
  const id = (await graphql('mutation($a: ID!, $p: ID) { startConversation(input: {agentID: $a, participantID: $p}) { id } }', { a: agent, p: participant })).startConversation.id;
  await graphql('mutation($c: ID!) { appendMessages(conversationID: $c, messages: [{role: assistant, content: "Shall we begin?", modality: text}]) { conversation { id } } }', { c: id });
  await graphql('mutation($c: ID!, $s: ConversationStatus!) { setConversationStatus(id: $c, status: $s) { id } }', { c: id, s: end });
  return id;
}
const completed = await interview('completed');
const abandoned = await interview('abandoned');
const test = (await call('POST', '/v1/backend/webhooks/test')).data.message_id;

await waitFor('five deliveries', () => received.length >= 5);
const wh = new Webhook(endpoint.secret);
const counts = {};
for (const r of received) {
  let payload;
  try {
    payload = wh.verify(r.body, r.headers);
  } catch (err) {
    fail(`a delivery does not verify: ${err.message}\n${JSON.stringify(r.headers)}\n${r.body}`);
  }
  if (payload.event_id !== r.headers['webhook-id']) fail(`event_id ${payload.event_id} is not webhook-id ${r.headers['webhook-id']}`);
  counts[payload.event_type] = (counts[payload.event_type] || 0) + 1;
  if (payload.event_type === 'conversation.completed' && (payload.data.conversation_id !== completed || payload.data.status !== 'completed' || payload.data.participant_profile.email !== 'ada@example.com')) {
    fail(`completed: ${r.body}`);
  }
  if (payload.event_type === 'conversation.abandoned' && payload.data.conversation_id !== abandoned) fail(`abandoned: ${r.body}`);
  if (payload.event_type === 'test.event' && payload.event_id !== test) fail(`test.event ${payload.event_id}, the API said ${test}`);
  try {
    wh.verify(r.body.replace('"data"', '"data" '), r.headers);
    fail('a tampered body verifies');
  } catch (err) {
    if (err.message.startsWith('FAIL')) throw err;
  }
}
const want = { 'conversation.started': 2, 'conversation.completed': 1, 'conversation.abandoned': 1, 'test.event': 1 };
if (JSON.stringify(Object.entries(counts).sort()) !== JSON.stringify(Object.entries(want).sort())) {
  fail(`received ${JSON.stringify(counts)}, want ${JSON.stringify(want)}`);
}

// A rotation: during the overlap, a delivery verifies with either secret.
const rotated = (await call('POST', `/v1/backend/webhooks/${endpoint.id}/rotate-secret`, { overlap_seconds: 600 })).data;
if (rotated.secret === endpoint.secret) fail('the rotated secret is the old one');
const before = received.length;
await call('POST', '/v1/backend/webhooks/test');
await waitFor('the delivery after the rotation', () => received.length > before);
const last = received[received.length - 1];
for (const [name, secret] of [['new', rotated.secret], ['old', endpoint.secret]]) {
  try {
    new Webhook(secret).verify(last.body, last.headers);
  } catch (err) {
    fail(`after the rotation the ${name} secret does not verify: ${err.message}`);
  }
}

const log = (await call('GET', `/v1/backend/webhooks/${endpoint.id}/deliveries?limit=100`)).data;
if (log.length < 6 || !log.every((d) => d.success && d.response_status === 204)) fail(`delivery log: ${JSON.stringify(log)}`);
server.close();
console.log(`ok: ${received.length} deliveries verified with standardwebhooks, before and after a rotation`);
