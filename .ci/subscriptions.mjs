// Drives Parley's live subscriptions with npm's graphql-ws client, the way
// a browser or Node application does. Called by .ci/subscriptions.sh, which
// installs graphql-ws and ws and starts the server.
//
//	PARLEY_URL=http://127.0.0.1:38xxx PARLEY_KEY=sk_test_... OTHER_KEY=sk_test_... \
//	  PARLEY_NODE_MODULES=/path/to/node_modules node .ci/subscriptions.mjs
//
// Exits non-zero on the first failed check.
import { createRequire } from 'node:module';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_KEY;
const otherKey = process.env.OTHER_KEY;
const modules = process.env.PARLEY_NODE_MODULES;
if (!base || !key || !otherKey || !modules) {
  console.error('subscriptions: set PARLEY_URL, PARLEY_KEY, OTHER_KEY and PARLEY_NODE_MODULES');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');
const url = base.replace(/^http/, 'ws') + '/graphql';

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}
const timeout = setTimeout(() => fail('timed out after 60 s'), 60_000);

async function graphql(query, variables, k = key) {
  const res = await fetch(base + '/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${k}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) fail(`${query}: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

function client(k, extra = {}) {
  return createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${k}` }, retryAttempts: 0, lazy: false, ...extra });
}

const agent = (await graphql('mutation { createAgent(input: {name: "CI live"}) { id } }')).createAgent.id;
const conv = (await graphql('mutation($a: ID!) { startConversation(input: {agentID: $a}) { id } }', { a: agent })).startConversation.id;

// 1. Each appended message arrives once, in order. Probes are appended
// until the first arrives (the subscription is then registered); every
// probe's append has returned before the first counted message is sent,
// so the probes all come first.
const sub = client(key);
const want = ['one', 'two', 'three', 'four'];
const got = [];
let probed;
const probeSeen = new Promise((resolve) => { probed = resolve; });
const received = new Promise((resolve, reject) => {
  sub.subscribe(
    { query: 'subscription($id: ID!) { messageAdded(conversationID: $id) { content position } }', variables: { id: conv } },
    {
      next: (r) => {
        if (r.errors) reject(new Error(JSON.stringify(r.errors)));
        got.push(r.data.messageAdded);
        if (r.data.messageAdded.content === 'probe') probed();
        if (got.filter((m) => m.content !== 'probe').length === want.length) resolve();
      },
      error: reject,
      complete: () => reject(new Error('completed early')),
    },
  );
});
const msgs = (...c) => c.map((content) => ({ role: 'user', content, modality: 'text' }));
const append = (...c) => graphql('mutation($id: ID!, $m: [AppendMessageInput!]!) { appendMessages(conversationID: $id, messages: $m) { messages { id } } }', { id: conv, m: msgs(...c) });
for (let seen = false; !seen;) {
  await append('probe');
  seen = await Promise.race([probeSeen.then(() => true), new Promise((r) => setTimeout(() => r(false), 200))]);
}
await append('one', 'two');
await append('three');
await append('four');
await received.catch((e) => fail(`messageAdded: ${e.message}`));
const probes = got.findIndex((m) => m.content !== 'probe');
const counted = got.slice(probes);
if (counted.length !== want.length) fail(`got ${JSON.stringify(got)}`);
// Probes appended before the subscription was registered are not sent;
// from the first one received on, positions have no gap.
const first = got[0].position;
got.forEach((m, i) => {
  if (m.position !== first + i) fail(`got ${JSON.stringify(got)}: a gap or a repeat`);
});
counted.forEach((m, i) => {
  if (m.content !== want[i]) fail(`message ${i}: ${JSON.stringify(m)}, want ${want[i]}`);
});
console.log('ok: four messages, once each, in order');

// 2. Another organization's conversation is an error, not a stream.
const other = client(otherKey);
const refused = await new Promise((resolve) => {
  other.subscribe(
    { query: 'subscription($id: ID!) { messageAdded(conversationID: $id) { content } }', variables: { id: conv } },
    { next: (r) => resolve(r), error: (e) => resolve({ errors: [e] }), complete: () => resolve(null) },
  );
});
if (!refused?.errors?.some((e) => e.extensions?.code === 'not_found')) fail(`another tenant got ${JSON.stringify(refused)}`);
console.log('ok: another organization gets not_found');

// 3. A bad key closes the socket with 4403, and the client does not retry.
const closed = await new Promise((resolve) => {
  const bad = client('sk_test_' + 'x'.repeat(32), { on: { closed: (ev) => resolve(ev.code) }, onNonLazyError: () => {} });
  bad.subscribe({ query: 'subscription { conversationEvents { id } }' }, { next() {}, error() {}, complete() {} });
});
if (closed !== 4403) fail(`a bad key closed the socket with ${closed}, want 4403`);
console.log('ok: a bad key is closed with 4403');

await sub.dispose();
await other.dispose();
clearTimeout(timeout);
