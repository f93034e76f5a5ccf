// Parley's dashboard: charts and lists over the public GraphQL API only,
// signed in with an API key kept in sessionStorage (gone when the tab
// closes). Bundled by build.sh with esbuild; the bundle is committed.
import {
  Chart, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const KEY = 'parley:dashboard:key';
const PAGE = 25;
const STATUSES = ['pending', 'in_progress', 'completed', 'abandoned', 'archived'];
const COLORS = {
  pending: '#9aa5b1', in_progress: '#3b82f6', completed: '#16a34a', abandoned: '#dc2626', archived: '#a16207',
};

const $ = (id) => document.getElementById(id);
const endpoint = document.body.dataset.endpoint;
const state = { charts: {}, after: null, hasNext: false, loading: false, generation: 0, agents: new Map(), live: null };

class APIError extends Error {}

async function gql(query, variables) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      Authorization: `Bearer ${sessionStorage.getItem(KEY)}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new APIError(`the server answered ${res.status}`);
  }
  if (body.errors && body.errors.length) {
    const e = new APIError(body.errors.map((x) => x.message).join('; '));
    e.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw e;
  }
  return body.data;
}

// The filters shared by the charts and the list, as a ConversationWhereInput.
function where() {
  const w = {};
  const days = Number($('f-days').value);
  const from = new Date(Date.now() - days * 86400000);
  from.setHours(0, 0, 0, 0);
  w.createdAtGTE = from.toISOString();
  if ($('f-agent').value) w.agentID = $('f-agent').value;
  if ($('f-status').value) w.status = $('f-status').value;
  return w;
}

function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function showError(where, err) {
  const box = $(where);
  box.textContent = err ? String(err.message || err) : '';
  box.hidden = !err;
}

const fmt = {
  pct: (v) => (v == null ? '–' : `${(v * 100).toFixed(1)} %`),
  ms: (v) => {
    if (v == null) return '–';
    const s = Math.round(v / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  },
  num: (v) => (v == null ? '–' : (Math.round(v * 10) / 10).toLocaleString()),
  time: (iso) => new Date(iso).toLocaleString(),
  day: (iso) => new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: timeZone() }),
};

const STATS = `query Stats($where: ConversationWhereInput, $tz: String) {
  daily: conversationStats(where: $where, groupBy: TIME, interval: DAY, timeZone: $tz) {
    groups { start byStatus { pending inProgress completed abandoned archived } }
  }
  agents: conversationStats(where: $where, groupBy: AGENT) {
    groups { agentID count completionRate byStatus { completed abandoned } }
  }
  total: conversationStats(where: $where) {
    groups { count completionRate durationMs { median p90 } turnCount { median } messages { total voice text } }
  }
}`;

function drawChart(name, canvas, config) {
  if (state.charts[name]) state.charts[name].destroy();
  state.charts[name] = new Chart(canvas, config);
  // Read by the browser test: how many data points the chart drew.
  canvas.dataset.points = String(config.data.datasets.reduce((n, d) => n + d.data.filter((v) => v > 0).length, 0));
}

async function loadStats() {
  showError('stats-error', null);
  let data;
  try {
    data = await gql(STATS, { where: where(), tz: timeZone() });
  } catch (err) {
    showError('stats-error', err);
    return;
  }
  const t = data.total.groups[0];
  $('k-count').textContent = t.count.toLocaleString();
  $('k-rate').textContent = fmt.pct(t.completionRate);
  $('k-duration').textContent = `${fmt.ms(t.durationMs.median)} / ${fmt.ms(t.durationMs.p90)}`;
  $('k-turns').textContent = fmt.num(t.turnCount.median);
  $('k-messages').textContent = `${t.messages.total.toLocaleString()} (${t.messages.voice.toLocaleString()} voice)`;

  const days = data.daily.groups;
  const key = { in_progress: 'inProgress' };
  drawChart('daily', $('chart-daily'), {
    type: 'bar',
    data: {
      labels: days.map((g) => fmt.day(g.start)),
      datasets: STATUSES.map((s) => ({
        label: s.replace('_', ' '),
        data: days.map((g) => g.byStatus[key[s] || s]),
        backgroundColor: COLORS[s],
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });

  const agents = data.agents.groups.filter((g) => g.completionRate != null);
  drawChart('agents', $('chart-agents'), {
    type: 'bar',
    data: {
      labels: agents.map((g) => state.agents.get(g.agentID) || g.agentID.slice(0, 8)),
      datasets: [{
        label: 'completion rate (completed / ended)',
        data: agents.map((g) => Math.round(g.completionRate * 1000) / 10),
        backgroundColor: '#16a34a',
      }],
    },
    options: {
      indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (c) => {
              const g = agents[c.dataIndex];
              return `${c.parsed.x} % (${g.byStatus.completed} of ${g.byStatus.completed + g.byStatus.abandoned})`;
            },
          },
        },
      },
    },
  });
}

const LIST = `query List($where: ConversationWhereInput, $after: Cursor, $first: Int) {
  conversations(where: $where, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id status createdAt turnCount connectionCode agent { name } participant { email } } }
  }
}`;

async function loadPage(reset) {
  if (reset) {
    state.generation++;
    state.after = null;
    state.hasNext = true;
    $('rows').replaceChildren();
  }
  if (state.loading || !state.hasNext) return;
  state.loading = true;
  const generation = state.generation;
  showError('list-error', null);
  try {
    const data = await gql(LIST, { where: where(), after: state.after, first: PAGE });
    if (generation !== state.generation) return; // the filters changed meanwhile
    const c = data.conversations;
    $('list-total').textContent = `${c.totalCount.toLocaleString()} conversations`;
    for (const { node } of c.edges) $('rows').append(row(node));
    state.after = c.pageInfo.endCursor;
    state.hasNext = c.pageInfo.hasNextPage;
    $('list-end').textContent = state.hasNext ? 'loading more…' : 'end of list';
    $('rows').dataset.pages = String(Number($('rows').dataset.pages || 0) + 1);
  } catch (err) {
    showError('list-error', err);
  } finally {
    state.loading = false;
  }
  // A short page may leave the sentinel visible: keep filling.
  if (state.hasNext && visible($('list-end'))) loadPage(false);
}

function visible(el) {
  const box = el.getBoundingClientRect();
  const scroller = $('list-scroll').getBoundingClientRect();
  return box.top < scroller.bottom && box.bottom > scroller.top;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function row(c) {
  const tr = document.createElement('tr');
  tr.tabIndex = 0;
  tr.dataset.id = c.id;
  tr.append(
    cell(fmt.time(c.createdAt)),
    cell(c.agent ? c.agent.name : '–'),
    cell(c.participant && c.participant.email ? c.participant.email : '–'),
    cell(c.status.replace('_', ' '), `status status-${c.status}`),
    cell(String(c.turnCount), 'num'),
  );
  const open = () => openTranscript(c, tr);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  return tr;
}

const TRANSCRIPT = `query Transcript($id: ID!) {
  conversation(id: $id) { id status startedAt completedAt transcript { id role content modality createdAt } }
}`;

const MESSAGE_ADDED = `subscription Live($id: ID!) {
  messageAdded(conversationID: $id) { id role content modality createdAt }
}`;

// subscribe runs a GraphQL subscription over Server-Sent Events (the
// graphql-sse "distinct connections" mode Parley serves at /graphql) and
// calls onData with each event's data until signal aborts or the server
// completes the stream. It resolves once the stream is open.
async function subscribe(query, variables, onData, onError, signal) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'text/event-stream',
      Authorization: `Bearer ${sessionStorage.getItem(KEY)}`,
    },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  if (!res.ok || !res.body) throw new APIError(`the live stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = '';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (event !== 'next' || !data) continue;
          const body = JSON.parse(data);
          if (body.errors && body.errors.length) onError(new APIError(body.errors.map((x) => x.message).join('; ')));
          else onData(body.data);
        }
      }
    } catch (err) {
      if (!signal.aborted) onError(err);
    }
  })();
}

function messageItem(m) {
  const li = document.createElement('li');
  li.className = `msg msg-${m.role}`;
  li.dataset.id = m.id;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${m.role} · ${m.modality} · ${new Date(m.createdAt).toLocaleTimeString()}`;
  const body = document.createElement('div');
  body.className = 'content';
  body.textContent = m.content;
  li.append(meta, body);
  return li;
}

// The open transcript follows the conversation live: new messages are
// appended as they commit, whichever server they were written through.
async function openTranscript(c, tr) {
  for (const el of document.querySelectorAll('#rows tr.selected')) el.classList.remove('selected');
  tr.classList.add('selected');
  const panel = $('transcript');
  $('transcript-title').textContent = `${c.agent ? c.agent.name : 'Conversation'} · ${c.participant && c.participant.email ? c.participant.email : 'anonymous'}`;
  $('transcript-meta').textContent = `${c.status.replace('_', ' ')} · ${c.turnCount} turns · ${c.connectionCode || c.id}`;
  const list = $('messages');
  list.replaceChildren();
  panel.hidden = false;
  panel.dataset.live = '';
  showError('transcript-error', null);
  if (state.live) state.live.abort();
  const live = new AbortController();
  state.live = live;
  const shown = new Set();
  const add = (m) => {
    if (shown.has(m.id)) return;
    shown.add(m.id);
    const empty = list.querySelector('li.empty');
    if (empty) empty.remove();
    list.append(messageItem(m));
  };
  // Subscribe first, then read the transcript: a message committed in
  // between arrives on the stream, and shows once, after the older ones.
  let early = [];
  const arrived = (d) => {
    if (early) {
      early.push(d.messageAdded);
      return;
    }
    add(d.messageAdded);
    panel.scrollTop = panel.scrollHeight; // follow the conversation
  };
  try {
    await subscribe(MESSAGE_ADDED, { id: c.id }, arrived,
      (err) => showError('transcript-error', err), live.signal);
    panel.dataset.live = c.id;
    const data = await gql(TRANSCRIPT, { id: c.id });
    const msgs = data.conversation.transcript;
    if (!msgs.length && !shown.size) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No messages yet.';
      list.append(li);
    }
    for (const m of msgs) add(m);
    for (const m of early) add(m);
    early = null;
    panel.dataset.loaded = c.id;
  } catch (err) {
    if (!live.signal.aborted) showError('transcript-error', err);
  }
}

async function loadAgents() {
  const data = await gql('{ viewer { livemode organization { name } } agents(first: 100) { edges { node { id name } } } }');
  $('who').textContent = `${data.viewer.organization.name} · ${data.viewer.livemode ? 'live' : 'test'} mode`;
  const select = $('f-agent');
  select.replaceChildren(new Option('all agents', ''));
  for (const { node } of data.agents.edges) {
    state.agents.set(node.id, node.name);
    select.append(new Option(node.name, node.id));
  }
}

function refresh() {
  loadStats();
  loadPage(true);
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  showError('signin-error', null);
  try {
    await loadAgents();
  } catch (err) {
    sessionStorage.removeItem(KEY);
    showError('signin-error', err);
    $('signin').hidden = false;
    $('app').hidden = true;
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  refresh();
}

function init() {
  $('f-tz').textContent = timeZone();
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    if (key) signIn(key);
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    window.location.reload();
  });
  for (const id of ['f-days', 'f-agent', 'f-status']) $(id).addEventListener('change', refresh);
  $('transcript-close').addEventListener('click', () => {
    $('transcript').hidden = true;
    if (state.live) state.live.abort();
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadPage(false);
  }, { root: $('list-scroll') }).observe($('list-end'));

  const key = sessionStorage.getItem(KEY);
  if (key) signIn(key);
  else $('signin').hidden = false;
}

init();
