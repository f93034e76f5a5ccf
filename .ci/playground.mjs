// Drives the GraphiQL page of a running Parley server in a real browser
// (Debian's chromium through playwright-core), as a new user would: open /,
// paste the key into the headers editor as README says, browse the docs, run
// a query, reload. Called by .ci/playground.sh, which installs playwright-core
// and starts the server.
//
//	PARLEY_URL=http://127.0.0.1:38xxx PARLEY_KEY=sk_test_... \
//	  PARLEY_NODE_MODULES=/path/to/node_modules CHROMIUM=/usr/bin/chromium \
//	  SCREENSHOTS=ci-out/playground node .ci/playground.mjs
//
// Every wait is for a condition; the timeouts only bound a failure.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_KEY;
const modules = process.env.PARLEY_NODE_MODULES;
const chromiumPath = process.env.CHROMIUM;
const shots = process.env.SCREENSHOTS;
if (!base || !key || !modules || !chromiumPath || !shots) {
  console.error('playground: set PARLEY_URL, PARLEY_KEY, PARLEY_NODE_MODULES, CHROMIUM and SCREENSHOTS');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
fs.mkdirSync(shots, { recursive: true });

const origin = new URL(base).origin;
const problems = []; // anything that must not happen, reported at the end
let graphqlRequests = 0;

const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  let refusals = 0; // 401s expected while a wrong key is being tried
  const refusal = (text) => refusals > 0 && /\b401\b/.test(text);
  page.on('console', (m) => {
    if (m.type() === 'error' && !refusal(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) problems.push(`request to another host: ${u}`);
    if (new URL(u).pathname === '/graphql') graphqlRequests++;
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !refusal(String(r.status()))) problems.push(`${r.status()} from ${r.request().method()} ${r.url()}`);
  });

  const step = (s) => console.log(`-- ${s}`);
  const shot = async (name) => {
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
    console.log(`   screenshot ${name}.png`);
  };
  // The schema's arrival: an introspection answered 200 with the key.
  const schemaFetched = () => page.waitForResponse((r) =>
    new URL(r.url()).pathname === '/graphql' &&
    r.request().postDataJSON()?.operationName === 'IntrospectionQuery' &&
    r.request().headers().authorization === `Bearer ${key}` &&
    r.status() === 200);
  const docsListConversations = async () => {
    const docs = page.locator('.graphiql-doc-explorer');
    if (!(await docs.isVisible())) await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await docs.locator('.graphiql-doc-explorer-root-type:text-is("query") + a:text-is("Query")').click();
    await docs.locator('.graphiql-doc-explorer-field-name', { hasText: /^conversations$/ }).waitFor();
  };

  step('a first visit: a hint, no request to /graphql, no error');
  await page.goto(`${base}/`);
  await page.locator('.graphiql-container').waitFor();
  await page.locator('#key-hint').waitFor({ state: 'visible' });
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last();
  await headersEditor.waitFor({ state: 'visible' }); // the headers tab is open
  if (graphqlRequests !== 0) problems.push(`the page sent ${graphqlRequests} request(s) to /graphql without a key`);
  await shot('1-first-visit');

  // paste replaces an editor's text with text through the clipboard, as a
  // user pastes (typing would meet the editor's bracket completion).
  const paste = async (editor, text) => {
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await editor.locator('.CodeMirror').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
  };

  step('a wrong key: the page says the schema could not be loaded, and why');
  refusals++;
  await paste(headersEditor, JSON.stringify({ Authorization: `Bearer sk_test_${'x'.repeat(32)}` }));
  await page.locator('#key-refused', { hasText: 'invalid API key' }).waitFor({ state: 'visible' });
  if (await page.locator('#key-hint').isVisible()) problems.push('the key hint still shows beside the refusal');
  await shot('2-wrong-key');
  refusals--;

  step('paste {"Authorization": "Bearer sk_test_..."} into the headers editor');
  const fetched = schemaFetched();
  await paste(headersEditor, JSON.stringify({ Authorization: `Bearer ${key}` }));
  await fetched;
  await page.locator('#key-refused').waitFor({ state: 'hidden' });
  await page.locator('#key-hint').waitFor({ state: 'hidden' });

  step('the docs list Query.conversations');
  await docsListConversations();
  await shot('3-docs-after-key');

  step('a query runs and shows data');
  const query = 'query ThreeCompleted { conversations(first: 3, where: {status: completed}) { totalCount edges { node { id status agent { name } } } } }';
  await paste(page.locator('.graphiql-query-editor'), query);
  // GraphiQL takes the operation's name from the editor a moment later; run
  // once the tab is named after it, or it would send the old name.
  await page.locator('.graphiql-tab', { hasText: 'ThreeCompleted' }).waitFor();
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql' && r.request().postDataJSON()?.query === query);
  await page.getByRole('button', { name: /Execute query/ }).click();
  const result = await (await answered).json();
  const edges = result?.data?.conversations?.edges ?? [];
  if (edges.length !== 3 || edges.some((e) => e.node.status !== 'completed')) {
    problems.push(`the query answered ${JSON.stringify(result).slice(0, 300)}`);
  }
  const response = page.locator('.graphiql-response');
  await response.getByText('"totalCount"').waitFor();
  await response.getByText(edges[0]?.node?.id ?? 'no id').first().waitFor();
  // Close the editor's completion list before the picture.
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('Escape');
  await shot('4-query-result');

  step('reload: the docs load without retyping the key');
  const refetched = schemaFetched();
  await page.reload();
  await refetched;
  if (await page.locator('#key-hint').isVisible()) problems.push('the key hint shows after a reload with a stored key');
  await docsListConversations();
  await shot('5-after-reload');
} catch (err) {
  failed = true;
  console.error(`FAIL: ${err?.stack ?? err}`);
} finally {
  await browser.close();
}

for (const p of problems) console.error(`FAIL: ${p}`);
if (failed || problems.length) process.exit(1);
console.log('PASS: the playground works from a first visit to a reload');
