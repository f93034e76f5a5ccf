// Drives Parley's /dashboard in a real browser (Debian's chromium through
// playwright-core): sign in with the demo key, see both charts drawn,
// scroll the list to its second page, open a transcript. Called by
// .ci/dashboard.sh, which installs playwright-core and starts the server.
//
//	PARLEY_URL=http://127.0.0.1:38xxx PARLEY_KEY=sk_test_... \
//	  PARLEY_NODE_MODULES=/path/to/node_modules CHROMIUM=/usr/bin/chromium \
//	  SCREENSHOTS=ci-out/dashboard node .ci/dashboard.mjs
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
  console.error('dashboard: set PARLEY_URL, PARLEY_KEY, PARLEY_NODE_MODULES, CHROMIUM and SCREENSHOTS');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');
fs.mkdirSync(shots, { recursive: true });

const origin = new URL(base).origin;
const problems = [];
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
let failed = false;
try {
  // A time zone far from UTC, so day buckets are the caller's.
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) problems.push(`request to another host: ${u}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} from ${r.request().method()} ${r.url()}`);
  });
  const step = (s) => console.log(`-- ${s}`);
  const shot = async (name) => {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    console.log(`   screenshot ${name}.png`);
  };

  step('open /dashboard: the sign-in form, nothing fetched from /graphql');
  let graphql = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/graphql') graphql++; });
  await page.goto(`${base}/dashboard`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  if (graphql !== 0) problems.push(`${graphql} requests to /graphql before a key was given`);
  await shot('1-signin');

  step('sign in with the demo key');
  await page.fill('#key', key);
  await page.click('#signin button[type=submit]');
  await page.locator('#app').waitFor({ state: 'visible' });
  const stored = await page.evaluate(() => [sessionStorage.getItem('parley:dashboard:key'), localStorage.length]);
  if (stored[0] !== key) problems.push('the key is not in sessionStorage');
  if (stored[1] !== 0) problems.push('something was written to localStorage');

  step('both charts draw data points, and their canvases have pixels');
  for (const id of ['chart-daily', 'chart-agents']) {
    await page.waitForFunction((id) => Number(document.getElementById(id).dataset.points || 0) > 0, id);
    const inked = await page.evaluate((id) => {
      const c = document.getElementById(id);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    }, id);
    const points = await page.evaluate((id) => document.getElementById(id).dataset.points, id);
    console.log(`   ${id}: ${points} data points, ${inked} painted pixels`);
    if (inked < 1000) problems.push(`${id} painted only ${inked} pixels`);
  }
  const count = await page.textContent('#k-count');
  if (!/\d/.test(count)) problems.push(`no conversation count: ${count}`);
  await shot('2-charts');

  step('the list loads its first page, then scrolls to the second');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length > 0);
  const first = await page.locator('#rows tr').count();
  await page.locator('#list-end').scrollIntoViewIfNeeded();
  await page.evaluate(() => { const s = document.getElementById('list-scroll'); s.scrollTop = s.scrollHeight; });
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr').length > n, first);
  const pages = await page.evaluate(() => document.getElementById('rows').dataset.pages);
  const rows = await page.locator('#rows tr').count();
  console.log(`   ${first} rows, then ${rows} after scrolling (${pages} pages)`);
  if (Number(pages) < 2) problems.push(`the list read ${pages} pages`);
  const ids = await page.$$eval('#rows tr', (trs) => trs.map((tr) => tr.dataset.id));
  if (new Set(ids).size !== ids.length) problems.push('the list shows a conversation twice');

  step('open a transcript');
  const withTurns = page.locator('#rows tr', { has: page.locator('td.num', { hasNotText: /^0$/ }) }).first();
  await withTurns.click();
  await page.locator('#transcript').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('#messages li.msg').length > 0);
  const messages = await page.locator('#messages li.msg').count();
  console.log(`   ${messages} messages`);
  await shot('3-transcript');

  step('an open transcript follows its conversation live');
  await page.selectOption('#f-status', 'in_progress');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr td.status')].length > 0
    && [...document.querySelectorAll('#rows tr td.status')].every((td) => td.textContent === 'in progress'));
  const running = page.locator('#rows tr').first();
  const runningID = await running.getAttribute('data-id');
  await running.click();
  await page.waitForFunction((id) => document.getElementById('transcript').dataset.loaded === id, runningID);
  const said = `Live from CI ${Date.now()}`;
  const appended = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($c: ID!, $t: String!) { appendMessages(conversationID: $c, messages: [{role: user, content: $t, modality: text}]) { messages { id } } }',
      variables: { c: runningID, t: said },
    }),
  }).then((r) => r.json());
  if (appended.errors) throw new Error(`appendMessages: ${JSON.stringify(appended.errors)}`);
  await page.waitForFunction((t) => [...document.querySelectorAll('#messages li.msg .content')].some((el) => el.textContent === t), said);
  const last = await page.locator('#messages li.msg .content').last().textContent();
  if (last !== said) problems.push(`the live message is not last: ${last}`);
  await shot('3b-live-transcript');

  step('a filter narrows the charts and the list');
  await page.selectOption('#f-status', 'completed');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr td.status')].length > 0
    && [...document.querySelectorAll('#rows tr td.status')].every((td) => td.textContent === 'completed'));
  await shot('4-filtered');

  step('reload keeps the session; sign out forgets the key');
  await page.reload();
  await page.locator('#app').waitFor({ state: 'visible' });
  await page.click('#signout');
  await page.locator('#signin').waitFor({ state: 'visible' });
  if (await page.evaluate(() => sessionStorage.getItem('parley:dashboard:key'))) problems.push('sign out kept the key');
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error('problems:\n  ' + problems.join('\n  '));
  failed = true;
}
if (failed) process.exit(1);
console.log('dashboard: ok');
