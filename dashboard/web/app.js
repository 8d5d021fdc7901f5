// app.js: the critsweep dashboard. Plain JavaScript, no dependencies, no build step.
// Views (#/, #/sweeps/ID, #/sweeps/ID/tasks/N, #/workers) render from the JSON
// endpoints under api/v1 and follow the coordinator's change feed (server-sent events at
// api/v1/events): each change names the generation at which every sweep last changed,
// and a view fetches again only what moved, never two fetches of one view at a time.
'use strict';

const API = 'api/v1';

// ---- small helpers -------------------------------------------------------------------

// h builds an element: h('td', {class: 'num'}, 'text', childNode, …). Text is never HTML.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

class APIError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : 'HTTP ' + status);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, opts) {
  const resp = await fetch(API + path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, opts || {}));
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (resp.status === 401) { location.reload(); throw new APIError(401, body); }
  if (!resp.ok) throw new APIError(resp.status, body);
  return body;
}

function post(path, body) {
  return api(path, { method: 'POST', body: JSON.stringify(body || {}), headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
}

function num(x, digits) {
  if (x === null || x === undefined || (typeof x === 'number' && !isFinite(x))) return '–';
  if (typeof x !== 'number') return String(x);
  if (digits !== undefined) return x.toFixed(digits);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return x.toPrecision(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

// estimate writes value ± stderr with the stderr's two significant digits deciding the
// value's.
function estimate(v, e) {
  if (v === null || v === undefined) return '–';
  if (!(e > 0)) return num(v);
  const d = Math.max(0, Math.min(10, 1 - Math.floor(Math.log10(e))));
  return v.toFixed(d) + ' ± ' + e.toFixed(d);
}

function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '–';
  s = Math.round(s);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

// ago writes the time since t (an RFC 3339 string), as of server time now, kept current
// by the ticker (elements with data-ago).
let clockSkew = 0; // server minus client, ms
function agoText(t) {
  if (!t) return '–';
  const s = (Date.now() + clockSkew - Date.parse(t)) / 1000;
  return s < 1 ? 'just now' : duration(s) + ' ago';
}
function ago(t) { return h('span', { dataset: { ago: t || '' } }, agoText(t)); }
setInterval(() => { for (const e of document.querySelectorAll('[data-ago]')) e.textContent = agoText(e.dataset.ago); }, 1000);

function badge(state) { return h('span', { class: 'badge ' + state }, state); }

const STATES = ['done', 'failed', 'cancelled', 'leased', 'pending'];

// bar draws a sweep's tasks by state, proportionally.
function bar(c, big) {
  const b = h('div', { class: 'bar' + (big ? ' big' : ''), role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': c.total,
    'aria-valuenow': c.done + c.failed + c.cancelled, dataset: { done: c.done, total: c.total } });
  for (const s of STATES) {
    if (!c[s]) continue;
    const seg = h('span', { class: s, title: `${s}: ${c[s]}` });
    seg.style.width = (100 * c[s] / Math.max(1, c.total)) + '%';
    b.appendChild(seg);
  }
  return b;
}

function legend(c) {
  return h('div', { class: 'legend' }, STATES.map(s => h('span', {}, h('i', { class: 'bar-' + s }), `${s} ${c[s]}`)));
}

function rate(dps) { return dps > 0 ? (dps * 60).toPrecision(3) + ' /min' : '–'; }

function betaC(b) { return b ? estimate(b.value, b.stderr) : '–'; }

// refresher runs fn when triggered, never twice at a time: a trigger while it runs runs
// it once more after, so that the last change is always shown.
function refresher(fn) {
  let running = false, again = false, stopped = false;
  async function run() {
    if (stopped) return;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } catch (e) { showError(e); }
    running = false;
    if (again && !stopped) { again = false; setTimeout(run, 100); }
  }
  run.stop = () => { stopped = true; };
  return run;
}

function showError(e) {
  if (e instanceof APIError && e.status === 401) return;
  const v = document.getElementById('view');
  let box = document.getElementById('view-error');
  if (!box) { box = h('div', { id: 'view-error', class: 'card error' }); v.prepend(box); }
  box.textContent = e.message || String(e);
}

function clearError() { const b = document.getElementById('view-error'); if (b) b.remove(); }

// ---- live updates --------------------------------------------------------------------

const live = {
  changes: null,      // the latest Changes
  listeners: new Set(),
  source: null,
  poll: null,
  start() {
    const ind = document.getElementById('live');
    const es = new EventSource(API + '/events');
    this.source = es;
    es.addEventListener('change', ev => {
      const ch = JSON.parse(ev.data);
      this.changes = ch;
      ind.textContent = 'live'; ind.className = 'live on';
      for (const f of this.listeners) f(ch);
    });
    es.addEventListener('open', () => { ind.textContent = 'live'; ind.className = 'live on'; this.stopPolling(); });
    es.addEventListener('error', () => {
      ind.textContent = 'reconnecting…'; ind.className = 'live off';
      this.startPolling();
    });
  },
  // While the stream is down, views refresh every 2 s (never overlapping: refresher).
  startPolling() {
    if (this.poll) return;
    this.poll = setInterval(() => { for (const f of this.listeners) f(null); }, 2000);
  },
  stopPolling() { if (this.poll) { clearInterval(this.poll); this.poll = null; } },
  on(f) { this.listeners.add(f); return () => this.listeners.delete(f); },
};

// ---- views ---------------------------------------------------------------------------

let current = null; // the mounted view: {stop()}

function route() {
  if (current) current.stop();
  clearError();
  const v = document.getElementById('view');
  v.textContent = '';
  const hash = location.hash.replace(/^#\/?/, '');
  const parts = hash.split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.remove('active');
  if (parts[0] === 'sweeps' && parts.length === 2) current = sweepView(v, parts[1]);
  else if (parts[0] === 'sweeps' && parts[2] === 'tasks' && parts.length === 4) current = taskView(v, parts[1], parseInt(parts[3], 10));
  else if (parts[0] === 'workers') { current = workersView(v); navActive('workers'); }
  else { current = sweepsView(v); navActive('sweeps'); }
}

function navActive(name) { const a = document.querySelector(`[data-nav="${name}"]`); if (a) a.classList.add('active'); }

// mount wires a view's refresh to the change feed: relevant(changes, last) says whether
// the change concerns it.
function mount(refresh, relevant) {
  const run = refresher(refresh);
  let last = null;
  const off = live.on(ch => {
    if (ch === null || last === null || relevant(ch, last)) { last = ch; run(); }
  });
  run();
  return { stop() { run.stop(); off(); }, poke: run };
}

// sweepsView lists every sweep.
function sweepsView(root) {
  root.append(h('h1', {}, 'Sweeps'), h('p', { class: 'sub' }, 'Every sweep in the coordinator\'s store, newest first. β_c is the extrapolated σ_L crossing, as critsweep analyze finds it.'));
  const card = h('div', { class: 'card' });
  root.append(card);
  const table = h('table', { id: 'sweeps-table' });
  card.append(h('div', { class: 'table-wrap' }, table));
  const gens = {};
  return mount(async () => {
    const data = await api('/sweeps');
    clearError();
    const rows = data.sweeps.map(s => h('tr', { dataset: { sweep: s.id } },
      h('td', {}, h('a', { href: '#/sweeps/' + encodeURIComponent(s.id) }, s.name), h('div', { class: 'sub mono' }, s.id)),
      h('td', {}, s.model),
      h('td', {}, badge(s.state)),
      h('td', {}, bar(s), h('div', { class: 'sub' }, `${s.done + s.failed + s.cancelled} of ${s.total} finished`)),
      ...['pending', 'leased', 'done', 'failed', 'cancelled'].map(k => h('td', { class: 'num' }, s[k])),
      h('td', { class: 'num' }, rate(s.done_per_second)),
      h('td', { class: 'num' }, s.state === 'running' ? duration(s.eta_seconds) : '–'),
      h('td', { class: 'num mono' }, betaC(s.beta_c), s.beta_c ? h('div', { class: 'sub' }, `from ${s.beta_c.results} results`) : null,
        s.analysing ? h('div', { class: 'sub' }, 'analysing…') : null)));
    table.replaceChildren(
      h('thead', {}, h('tr', {}, ['Sweep', 'Model', 'State', 'Progress', 'Pending', 'Leased', 'Done', 'Failed', 'Cancelled', 'Rate', 'ETA', 'β_c ± error']
        .map((t, i) => h('th', { class: i >= 4 ? 'num' : '' }, t)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 12, class: 'note' }, 'No sweep yet: critsweep submit SPEC --coordinator HOST:PORT.'))));
    for (const s of data.sweeps) gens[s.id] = true;
  }, () => true);
}

// sweepView shows one sweep: progress, β_c, curves, results, failures.
function sweepView(root, id) {
  const st = { sort: 'index', desc: false, where: '', page: [''], pageNo: 0, pageSize: 100, columns: null, tau: 0, done: -1, analysed: -1, failPage: [''], failNo: 0 };
  const head = h('div', { id: 'sweep-head' });
  const progress = h('div', { class: 'card', id: 'sweep-progress' });
  const results = h('div', { class: 'card', id: 'results' });
  const plots = h('div', { id: 'plots' });
  const failures = h('div', { class: 'card', id: 'failures' });
  root.append(head, progress, plots, results, failures);

  // The results table: filter, sort, pages, download.
  const input = h('input', { type: 'text', id: 'filter-input', placeholder: "filter, e.g. size >= 16 and beta near 0.44 and boundary = 'periodic'", spellcheck: 'false',
    'aria-label': 'filter expression' });
  const filterError = h('pre', { id: 'filter-error', class: 'error' });
  filterError.hidden = true;
  const table = h('table', { id: 'results-table' });
  const pager = h('div', { class: 'pager' });
  const csv = h('a', { class: 'button', id: 'download-csv' }, 'CSV');
  const json = h('a', { class: 'button', id: 'download-json' }, 'JSON');
  const apply = () => { st.where = input.value.trim(); st.page = ['']; st.pageNo = 0; loadResults(); };
  input.addEventListener('keydown', e => { if (e.key === 'Enter') apply(); });
  results.append(h('h2', {}, 'Results'),
    h('div', { class: 'toolbar' }, input, h('button', { onclick: apply, id: 'filter-apply' }, 'Filter'),
      h('button', { onclick: () => { input.value = ''; apply(); } }, 'Clear'), h('span', { class: 'muted' }, 'download'), csv, json),
    filterError, h('div', { class: 'table-wrap' }, table), pager);

  function query(extra) {
    const q = new URLSearchParams();
    if (st.where) q.set('where', st.where);
    q.set('sort', (st.desc ? '-' : '') + st.sort);
    for (const k in extra || {}) q.set(k, extra[k]);
    return q.toString();
  }

  async function loadResults() {
    if (!st.columns) st.columns = (await api('/columns')).table;
    const q = query({ columns: st.columns.join(','), page_size: st.pageSize, page_token: st.page[st.pageNo] || '' });
    csv.href = `${API}/sweeps/${encodeURIComponent(id)}/results?${query({ format: 'csv' })}`;
    json.href = `${API}/sweeps/${encodeURIComponent(id)}/results?${query({ format: 'json' })}`;
    let data;
    try {
      data = await api(`/sweeps/${encodeURIComponent(id)}/results?${q}`);
    } catch (e) {
      if (e instanceof APIError && e.status === 400) {
        filterError.textContent = (e.body.parameter || 'filter') + ': ' + e.message + (e.body.pointer ? '\n' + e.body.pointer : '');
        filterError.hidden = false;
        return;
      }
      throw e;
    }
    filterError.hidden = true;
    st.page[st.pageNo + 1] = data.next_page_token || undefined;
    const cols = data.columns;
    table.replaceChildren(
      h('thead', {}, h('tr', {}, cols.map(c => {
        const th = h('th', { class: 'sortable' + (c.match(/^(index|beta|size|tau|attempts|steps|seconds|final_loss)$|ln_|binder|xi_|exact_/) ? ' num' : ''), dataset: { column: c },
          title: 'sort by ' + c }, c, st.sort === c ? h('span', { class: 'arrow' }, st.desc ? ' ▼' : ' ▲') : null);
        th.addEventListener('click', () => {
          if (st.sort === c) st.desc = !st.desc; else { st.sort = c; st.desc = false; }
          st.page = ['']; st.pageNo = 0; loadResults();
        });
        return th;
      }))),
      h('tbody', {}, data.results.length ? data.results.map(r => h('tr', {}, cols.map(c => {
        const v = r[c];
        if (c === 'index') return h('td', { class: 'num' }, h('a', { href: `#/sweeps/${encodeURIComponent(id)}/tasks/${v}` }, v));
        return h('td', { class: typeof v === 'number' || v === null ? 'num mono' : '' }, num(v));
      }))) : h('tr', {}, h('td', { colspan: cols.length, class: 'note' }, st.where ? 'No result matches the filter.' : 'No task has finished yet.'))));
    const total = data.total;
    const from = st.pageNo * st.pageSize;
    pager.replaceChildren(
      h('button', { disabled: st.pageNo === 0, onclick: () => { st.pageNo--; loadResults(); } }, '‹ previous'),
      h('span', { id: 'results-count' }, total === null ? `${from + 1}–${from + data.results.length}` :
        `${data.results.length ? from + 1 : 0}–${from + data.results.length} of ${total} result${total === 1 ? '' : 's'}${st.where ? ' matching' : ''}`),
      h('button', { disabled: !data.next_page_token, onclick: () => { st.pageNo++; loadResults(); } }, 'next ›'));
  }

  async function loadFailures() {
    const data = await api(`/sweeps/${encodeURIComponent(id)}/tasks?failures=true&page_size=50&page_token=${encodeURIComponent(st.failPage[st.failNo] || '')}`);
    st.failPage[st.failNo + 1] = data.next_page_token || undefined;
    const rows = data.tasks.map(t => h('tr', {},
      h('td', { class: 'num' }, h('a', { href: `#/sweeps/${encodeURIComponent(id)}/tasks/${t.index}` }, t.index)),
      h('td', { class: 'num' }, num(t.beta)), h('td', { class: 'num' }, t.size), h('td', {}, t.boundary), h('td', {}, badge(t.state)),
      h('td', { class: 'num' }, t.attempts), h('td', {}, h('ul', { class: 'failures' }, t.failures.map(f => h('li', {}, f))))));
    failures.replaceChildren(...[h('h2', {}, 'Failures'),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'failures-table' },
        h('thead', {}, h('tr', {}, ['Task', 'β', 'L', 'Boundary', 'State', 'Attempts', 'Reasons'].map(t => h('th', {}, t)))),
        h('tbody', {}, rows))) : h('p', { class: 'note' }, 'No attempt has failed.'),
      (st.failNo > 0 || data.next_page_token) ? h('div', { class: 'pager' },
        h('button', { disabled: st.failNo === 0, onclick: () => { st.failNo--; loadFailures(); } }, '‹ previous'),
        h('button', { disabled: !data.next_page_token, onclick: () => { st.failNo++; loadFailures(); } }, 'next ›')) : null].filter(Boolean));
  }

  function renderHead(d) {
    const actions = [];
    if (d.actions && d.state === 'running') {
      actions.push(h('button', { class: 'danger', id: 'cancel-sweep', onclick: async () => {
        if (!confirm(`Cancel sweep ${d.id}? Its pending and leased tasks stop.`)) return;
        try { await post(`/sweeps/${encodeURIComponent(id)}/cancel`); } catch (e) { showError(e); }
      } }, 'Cancel sweep'));
    }
    if (d.actions && d.state !== 'cancelled') {
      const from = h('input', { type: 'text', 'aria-label': 'β from', placeholder: 'from' });
      const to = h('input', { type: 'text', 'aria-label': 'β to', placeholder: 'to' });
      const step = h('input', { type: 'text', 'aria-label': 'β step', placeholder: 'step' });
      actions.push(h('span', { class: 'extend' }, 'extend β', from, to, step, h('button', { onclick: async () => {
        try {
          await post(`/sweeps/${encodeURIComponent(id)}/extend`, { grid: { beta: { from: +from.value, to: +to.value, step: +step.value } } });
        } catch (e) { showError(e); }
      } }, 'Extend')));
    }
    head.replaceChildren(h('div', { class: 'row' },
      h('div', {}, h('h1', {}, d.name, ' ', badge(d.state)), h('div', { class: 'sub' }, h('span', { class: 'mono' }, d.id), ` · ${d.model} · created `, ago(d.created))),
      h('div', { class: 'row' }, actions)));
  }

  function renderProgress(d) {
    const fin = d.done + d.failed + d.cancelled;
    progress.replaceChildren(h('h2', {}, 'Progress'), bar(d, true), legend(d),
      h('dl', { class: 'kv' },
        h('dt', {}, 'finished'), h('dd', { id: 'progress-count' }, `${fin} of ${d.total} tasks (${num(100 * fin / Math.max(1, d.total), 1)}%)`),
        h('dt', {}, 'rate'), h('dd', {}, rate(d.done_per_second)),
        h('dt', {}, 'time left'), h('dd', {}, d.state === 'running' ? duration(d.eta_seconds) : '–'),
        h('dt', {}, 'with failures'), h('dd', {}, d.with_failures + ' tasks')));
  }

  function renderAnalysis(d) {
    const a = d.analysis;
    plots.textContent = '';
    if (!a || a.taus.length === 0) {
      plots.append(h('div', { class: 'card', id: 'beta-c' }, h('h2', {}, 'Critical point'), h('p', { class: 'note' }, 'No task has finished yet: the curves appear with the first results.')));
      return;
    }
    if (st.tau >= a.taus.length) st.tau = 0;
    const t = a.taus[st.tau];
    const card = h('div', { class: 'card', id: 'beta-c' }, h('h2', {}, 'Critical point'));
    if (a.taus.length > 1) {
      card.append(h('div', { class: 'tabs' }, a.taus.map((x, i) => h('button', { class: i === st.tau ? 'active' : '', onclick: () => { st.tau = i; renderAnalysis(d); } }, x.label || `τ = ${x.tau}`))));
    }
    if (t.error) {
      card.append(h('p', { class: 'note', id: 'beta-c-value' }, 'β_c not yet: ' + t.error));
    } else {
      const ref = d.reference;
      card.append(h('div', { class: 'betac', id: 'beta-c-value' }, 'β_c = ' + estimate(t.beta_c, t.beta_c_stderr),
        h('small', {}, ` from ${a.results} results, ${t.crossings.length} σ_L crossing${t.crossings.length === 1 ? '' : 's'}, ${t.fit ? t.fit.method : ''}`)));
      if (ref) {
        const dev = (t.beta_c - ref.beta_c) / ref.beta_c * 100;
        card.append(h('p', { class: 'note' }, `${ref.name} = ${ref.beta_c.toFixed(7)}: ${dev >= 0 ? '+' : ''}${dev.toFixed(3)}%` +
          (t.beta_c_stderr > 0 ? `, ${Math.abs((t.beta_c - ref.beta_c) / t.beta_c_stderr).toFixed(1)} standard errors` : '')));
      }
    }
    if (a.results < d.done) {
      const n = d.done - a.results;
      card.append(h('p', { class: 'note', id: 'analysis-behind' }, `(${n} newer result${n === 1 ? ' is' : 's are'} being analysed)`));
    }
    plots.append(card);
    const grid = h('div', { class: 'grid3' });
    plots.append(grid);
    const bc = t.error ? null : { x: t.beta_c, lo: t.beta_c - t.beta_c_stderr, hi: t.beta_c + t.beta_c_stderr, label: 'β_c', color: '#c8372d' };
    const refLine = d.reference ? { x: d.reference.beta_c, label: 'exact', color: '#5c6b73', dashed: true, row: 1 } : null;
    const quantities = [
      ['sigma', 'σ_L = L (ln λ_p − ln λ_t)', t.crossings, 'plot-sigma'],
      ['binder', 'Binder cumulant' + (t.observable_source ? ` (${t.observable_source})` : ''), t.binder_crossings, 'plot-binder'],
      ['xi_over_l', 'ξ / L' + (t.observable_source ? ` (${t.observable_source})` : ''), t.xi_over_l_crossings, 'plot-xi'],
    ];
    for (const [q, title, crossings, elID] of quantities) {
      const curves = t.curves.filter(c => c.quantity === q);
      const div = h('div', { class: 'plot', id: elID });
      grid.append(h('div', { class: 'card' }, h('h2', {}, title), div));
      const series = curves.map(c => ({ label: 'L = ' + c.size, points: c.points.map(p => [p[0], p[1], p[2]]) }));
      const markers = (crossings || []).map(c => {
        const y = interpolate(curves.find(x => x.size === c.sizes[0]), c.beta);
        return { x: c.beta, y: y, label: `crossing (${c.sizes[0]}, ${c.sizes[1]}): β = ${num(c.beta)} ± ${num(c.stderr)}` };
      });
      Plot.line(div, { series: series, xlabel: 'β', ylabel: q === 'sigma' ? 'σ_L' : q === 'binder' ? 'U' : 'ξ/L', markers: markers,
        vlines: q === 'sigma' ? [bc, refLine].filter(Boolean) : refLine ? [refLine] : [], empty: 'no points yet' });
    }
    if (a.taus.length > 1) {
      const ok = a.taus.filter(x => !x.error);
      const div = h('div', { class: 'plot', id: 'plot-boundary' });
      const axis = a.axis || 'tau';
      grid.append(h('div', { class: 'card' }, h('h2', {}, `β_c against ${axis} (the phase boundary)`), div));
      Plot.line(div, { series: [{ label: 'β_c', points: ok.map(x => [x.x, x.beta_c, x.beta_c_stderr]) }], xlabel: axis, ylabel: 'β_c' });
    }
  }

  // On every change of the sweep its line is fetched again (cheap); the results page and
  // the failures only when tasks finished or failed since, and the analysis when the
  // server has a newer one (the event says how many results are behind it).
  return mount(async () => {
    const d = await api(`/sweeps/${encodeURIComponent(id)}?analysis=false`);
    clearError();
    renderHead(d);
    renderProgress(d);
    const moved = d.done !== st.done || d.with_failures !== st.withFailures;
    const first = st.analysed < 0;
    const analysed = live.changes && live.changes.analyses ? live.changes.analyses[id] : undefined;
    const newer = first || analysed === undefined || analysed !== st.analysed || moved;
    st.done = d.done; st.withFailures = d.with_failures;
    const [full] = await Promise.all([newer ? api(`/sweeps/${encodeURIComponent(id)}`) : null,
      moved || first ? loadResults() : null, moved || first ? loadFailures() : null]);
    if (full) {
      st.analysed = full.analysis ? full.analysis.results : 0;
      renderAnalysis(full);
    }
  }, (ch, last) => ch.sweeps[id] !== last.sweeps[id] || (ch.analyses || {})[id] !== (last.analyses || {})[id]);
}

// interpolate returns a curve's value at β, linearly between its points.
function interpolate(c, beta) {
  if (!c || c.points.length === 0) return NaN;
  const p = c.points;
  for (let i = 1; i < p.length; i++) {
    if (p[i][0] >= beta) {
      const f = (beta - p[i - 1][0]) / (p[i][0] - p[i - 1][0]);
      return p[i - 1][1] + f * (p[i][1] - p[i - 1][1]);
    }
  }
  return p[p.length - 1][1];
}

// taskView shows one task: its state, training curve and estimates.
function taskView(root, id, index) {
  const head = h('div', {});
  const info = h('div', { class: 'card' });
  const curves = h('div', { class: 'grid3' });
  const est = h('div', { class: 'card', id: 'estimates' });
  root.append(head, info, curves, est);
  const loss = h('div', { class: 'plot', id: 'training-curve' });
  const lnl = h('div', { class: 'plot', id: 'lnlambda-curve' });
  curves.append(h('div', { class: 'card' }, h('h2', {}, 'Training loss'), loss), h('div', { class: 'card' }, h('h2', {}, 'ln λ / L estimate during training'), lnl));
  return mount(async () => {
    const t = await api(`/sweeps/${encodeURIComponent(id)}/tasks/${index}`);
    clearError();
    head.replaceChildren(h('div', { class: 'sub' }, h('a', { href: '#/sweeps/' + encodeURIComponent(id) }, t.sweep_name), ' ', h('span', { class: 'mono' }, id)),
      h('h1', {}, `Task ${t.index}: β = ${num(t.beta)}, L = ${t.size}, ${t.boundary} `, badge(t.state)));
    const p = t.progress;
    info.replaceChildren(h('dl', { class: 'kv' },
      h('dt', {}, 'model'), h('dd', {}, t.model + (t.tau ? `, τ = ${t.tau}` : '')),
      h('dt', {}, 'step'), h('dd', { id: 'task-step' }, p ? `${p.step} of ${p.total_steps}` : (t.result ? `${t.result.steps} (done)` : '–')),
      h('dt', {}, 'worker'), h('dd', {}, t.worker || '–'),
      h('dt', {}, 'attempts'), h('dd', {}, `${t.attempts} (epoch ${t.epoch})`),
      h('dt', {}, 'lease expires'), h('dd', {}, t.lease_expires ? new Date(t.lease_expires).toLocaleTimeString() : '–'),
      h('dt', {}, 'checkpoint'), h('dd', {}, t.checkpoint_step ? 'step ' + t.checkpoint_step : 'none'),
      t.failures.length ? [h('dt', {}, 'failures'), h('dd', {}, h('ul', { class: 'failures' }, t.failures.map(f => h('li', {}, f))))] : null));
    const pts = t.curve;
    // A loss that falls over decades is drawn on a log scale.
    const losses = pts.map(q => q.loss).filter(x => x !== null);
    const logy = losses.length > 1 && losses.every(x => x > 0) && Math.max(...losses) / Math.min(...losses) > 20;
    Plot.line(loss, { series: [{ label: 'loss', points: pts.map(q => [q.step, q.loss]) }], xlabel: 'step', ylabel: 'loss',
      logy: logy, empty: 'no heartbeat yet' });
    const exact = t.estimates.find(e => e.name === 'ln_lambda_per_site');
    const finalLn = t.result ? t.result.ln_lambda_per_site : null;
    Plot.line(lnl, { series: [{ label: 'estimate', points: pts.map(q => [q.step, q.ln_lambda_per_site]) }], xlabel: 'step', ylabel: 'ln λ / L',
      hlines: [exact && exact.exact !== null ? { y: exact.exact, label: 'exact', color: '#2e9e5b' } : null,
        finalLn !== null ? { y: finalLn, label: 'final estimate', color: '#c8372d' } : null].filter(Boolean), empty: 'no heartbeat yet' });
    est.replaceChildren(h('h2', {}, 'Final estimates'), t.estimates.length ? h('table', { id: 'estimates-table' },
      h('thead', {}, h('tr', {}, ['Quantity', 'Estimate', 'Exact', 'Difference'].map(x => h('th', {}, x)))),
      h('tbody', {}, t.estimates.map(e => h('tr', {}, h('td', {}, e.name), h('td', { class: 'mono' }, estimate(e.value, e.stderr)),
        h('td', { class: 'mono' }, e.exact === null ? '–' : num(e.exact), e.exact_method && e.exact !== null ? h('span', { class: 'sub' }, ' ' + e.exact_method) : null),
        h('td', { class: 'mono' }, e.sigmas === null ? '–' : `${num(e.value - e.exact)} (${num(e.sigmas, 1)} σ)`))))) :
      h('p', { class: 'note' }, 'The task has not finished.'));
  }, (ch, last) => ch.sweeps[id] !== last.sweeps[id]);
}

// workersView lists the workers.
function workersView(root) {
  root.append(h('h1', {}, 'Workers'), h('p', { class: 'sub' }, 'The workers heard from since the coordinator started; one is connected when it called within the lease duration.'));
  const card = h('div', { class: 'card' });
  root.append(card);
  const table = h('table', { id: 'workers-table' });
  card.append(h('div', { class: 'table-wrap' }, table));
  const view = mount(async () => {
    const data = await api('/workers');
    clearError();
    clockSkew = Date.parse(data.now) - Date.now();
    const rows = data.workers.map(w => h('tr', {},
      h('td', {}, h('span', { class: 'dot' + (w.connected ? ' on' : ''), title: w.connected ? 'connected' : 'not heard from lately' }), w.name),
      h('td', { class: 'num' }, `${w.tasks.length} / ${w.slots}`),
      h('td', {}, w.tasks.length ? w.tasks.map(t => h('div', {}, h('a', { href: `#/sweeps/${encodeURIComponent(t.sweep_id)}/tasks/${t.index}` }, `${t.sweep_id}/${t.index}`),
        h('span', { class: 'sub' }, t.progress ? ` step ${t.progress.step} of ${t.progress.total_steps}` : ' starting'))) : h('span', { class: 'note' }, 'idle')),
      h('td', {}, w.last_heartbeat ? ago(w.last_heartbeat) : '–'),
      h('td', {}, w.last_seen ? ago(w.last_seen) : 'not since the coordinator started'),
      h('td', { class: 'num' }, w.done_per_second > 0 ? num(w.done_per_second * 3600) + ' /h' : '–'),
      h('td', { class: 'num' }, w.steps_per_second > 0 ? num(w.steps_per_second) : '–'),
      h('td', { class: 'num' }, w.completed), h('td', { class: 'num' }, w.failed)));
    table.replaceChildren(h('thead', {}, h('tr', {}, ['Worker', 'Busy / slots', 'Current tasks', 'Last heartbeat', 'Last call', 'Tasks done', 'Steps / s', 'Completed', 'Failed']
      .map((t, i) => h('th', { class: [1, 5, 6, 7, 8].includes(i) ? 'num' : '' }, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 9, class: 'note' }, 'No worker has called yet.'))));
  }, () => true);
  // Heartbeats move every row's times; the view also refreshes every 2 s.
  const tick = setInterval(() => view.poke(), 2000);
  const stop = view.stop;
  view.stop = () => { clearInterval(tick); stop(); };
  return view;
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  live.start();
  route();
});
