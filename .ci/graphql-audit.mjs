// Runs the GraphQL-over-HTTP specification audit of the graphql-http package
// against a running Parley server. Called by .ci/graphql-audit.sh, which
// installs graphql-http and starts the server.
//
//	PARLEY_GRAPHQL_URL=http://127.0.0.1:38xxx/graphql PARLEY_API_KEY=sk_test_... \
//	  GRAPHQL_HTTP_MODULES=/path/to/node_modules node .ci/graphql-audit.mjs
//
// Prints one line per audit (status, name), then a summary line, and exits
// non-zero if any MUST audit is not ok (or an audit could not run at all).
// SHOULD and MAY audits that fail are reported but do not fail the run.
import { createRequire } from 'node:module';
import path from 'node:path';

const url = process.env.PARLEY_GRAPHQL_URL;
const key = process.env.PARLEY_API_KEY;
const modules = process.env.GRAPHQL_HTTP_MODULES; // the node_modules folder graphql-http was installed into
if (!url || !key || !modules) {
  console.error('graphql-audit: set PARLEY_GRAPHQL_URL, PARLEY_API_KEY and GRAPHQL_HTTP_MODULES');
  process.exit(2);
}

// graphql-http lives in a throwaway folder outside the repository, so resolve
// it from there rather than from this file's location.
const require = createRequire(path.join(modules, 'noop.js'));
const { serverAudits } = await import(require.resolve('graphql-http'));

// Every request carries the API key; the audit passes headers as a plain
// object, and some requests have no init at all.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers });
};

const levels = ['MUST', 'SHOULD', 'MAY'];
const counts = Object.fromEntries(levels.map((l) => [l, { ok: 0, warn: 0, notice: 0, error: 0 }]));
let mustFailed = 0; // MUST audits that ran and were not ok
let broken = 0; // audits that could not run at all

for (const audit of serverAudits({ url, fetchFn })) {
  const level = levels.find((l) => audit.name.startsWith(l + ' ')) ?? 'MAY';
  let result;
  let threw = false;
  try {
    result = await audit.fn();
  } catch (err) {
    // graphql-http throws only when an audit cannot run (e.g. the request
    // itself failed); that is a failure whatever the level.
    result = { status: 'error', reason: `audit could not run: ${err?.stack ?? err}` };
    threw = true;
  }
  counts[level][result.status]++;
  if (threw) broken++;
  else if (level === 'MUST' && result.status !== 'ok') mustFailed++;
  console.log(`${result.status.padEnd(6)} ${audit.id} ${audit.name}`);
  if (result.status !== 'ok') {
    console.log(`       reason: ${result.reason}`);
  }
}

const fmt = (c) => `${c.ok} ok, ${c.warn} warn, ${c.notice} notice, ${c.error} error`;
console.log(`summary: MUST ${fmt(counts.MUST)}; SHOULD ${fmt(counts.SHOULD)}; MAY ${fmt(counts.MAY)}`);
if (mustFailed > 0 || broken > 0) {
  console.log(`FAIL: ${mustFailed} MUST audit(s) not ok, ${broken} audit(s) could not run`);
  process.exit(1);
}
console.log('PASS: every MUST audit is ok');
