// Fanout's web page: plain JavaScript, no build step, no CDN. Talks to the same HTTP API as everyone else
// (API.md); with access keys on, it asks for the key once and sends it as "Authorization: Bearer".
'use strict';

const $ = id => document.getElementById(id);
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);
const FIRST_RESULTS = 20;
const state = { key: localStorage.getItem('fanout.key') || '', selected: null, stream: null, samples: [], lastResults: 0, file: null, after: null };

// ---- HTTP -------------------------------------------------------------------------------------------------------

let keyPrompt = null;
function askKey() {
  // One dialog for every call that got a 401 at the same time.
  keyPrompt ??= new Promise(resolve => {
    const dialog = $('key-dialog');
    $('key-input').value = '';
    dialog.onclose = () => {
      keyPrompt = null;
      const key = $('key-input').value.trim();
      if (dialog.returnValue === 'ok' && key) {
        state.key = key;
        localStorage.setItem('fanout.key', key);
        resolve(true);
      } else {
        resolve(false);
      }
    };
    dialog.showModal();
  });
  return keyPrompt;
}

async function api(path, options = {}, retried = false) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set('Authorization', 'Bearer ' + state.key);
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401 && !retried && await askKey()) return api(path, options, true);
  return res;
}

async function errorText(res) {
  try {
    const body = await res.json();
    if (body && body.error) return `${body.error.code}: ${body.error.message}`;
  } catch { /* not JSON */ }
  return `${res.status} ${res.statusText}`;
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---- formatting -------------------------------------------------------------------------------------------------

const num = (v, digits = 0) => v == null ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });
function duration(s) {
  if (s == null) return '–';
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
const percent = b => {
  const c = b.request_counts;
  return c.total ? Math.floor(100 * (c.completed + c.failed) / c.total) : (FINAL.has(b.status) ? 100 : 0);
};

// ---- submit -----------------------------------------------------------------------------------------------------

function chooseFile(file) {
  state.file = file || null;
  $('file-name').textContent = file ? `${file.name} (${num(file.size)} bytes)` : '';
}

// The request a submit (or its dry run) sends: the chosen file as is, or the pasted prompts as a prompts form.
async function buildRequest() {
  const cap = $('max-concurrency').value.trim();
  const deployment = $('deployment').value.trim();
  const budget = $('max-total-tokens').value.trim();
  let body, type, query = new URLSearchParams();
  if (state.file) {
    const name = state.file.name.toLowerCase();
    if (name.endsWith('.json')) {
      body = state.file; type = 'application/json';
    } else if (name.endsWith('.txt')) {
      body = JSON.stringify({ prompts: (await state.file.text()).split('\n').filter(l => l.trim()) }); type = 'application/json';
    } else {
      body = state.file; type = 'application/jsonl';
    }
    if (cap) query.set('maxConcurrency', cap);
    if (deployment) query.set('deployment', deployment);
  } else {
    const prompts = $('prompts').value.split('\n').map(l => l.trim()).filter(l => l);
    if (!prompts.length) return null;
    const form = { prompts };
    if (cap) form.maxConcurrency = Number(cap);
    if (deployment) form.deployment = deployment;
    body = JSON.stringify(form); type = 'application/json';
  }
  if (budget) query.set('maxTotalTokens', budget);
  return { body, type, query };
}

async function estimate() {
  const message = $('submit-message');
  const request = await buildRequest();
  if (!request) { message.textContent = 'Choose a file or paste at least one prompt.'; return; }
  request.query.set('dryRun', 'true');
  message.textContent = 'Estimating…';
  try {
    const res = await api('/api/batches?' + request.query, { method: 'POST', body: request.body, headers: { 'Content-Type': request.type } });
    if (res.status !== 200) { message.textContent = 'No estimate: ' + await errorText(res); return; }
    const e = await res.json();
    const cost = e.estimated_cost && e.estimated_cost.low != null
      ? `${e.estimated_cost.low.toFixed(4)}–${e.estimated_cost.high.toFixed(4)} ${e.estimated_cost.currency}` : 'unknown (no price configured)';
    const time = e.estimated_seconds_at_quota != null ? duration(e.estimated_seconds_at_quota) : 'unknown (no quota configured)';
    const bad = e.line_errors.slice(0, 3).map(x => `line ${x.index}: ${x.error.code}`).join(', ');
    message.textContent = `Estimate: ${num(e.lines)} lines (${num(e.invalid)} invalid${bad ? ': ' + bad : ''}), ` +
      `${num(e.prompt_tokens)} prompt tokens, up to ${num(e.max_completion_tokens)} output tokens, cost ${cost}, time at quota ${time}.`;
  } catch (err) {
    message.textContent = 'No estimate: ' + err.message;
  }
}

async function submit() {
  const message = $('submit-message');
  const request = await buildRequest();
  if (!request) { message.textContent = 'Choose a file or paste at least one prompt.'; return; }
  const { body, type, query } = request;
  $('submit').disabled = true;
  message.textContent = 'Submitting…';
  try {
    const res = await api('/api/batches' + (query.size ? '?' + query : ''), { method: 'POST', body, headers: { 'Content-Type': type } });
    if (res.status !== 202) { message.textContent = 'Not submitted: ' + await errorText(res); return; }
    const batch = await res.json();
    message.textContent = `Submitted ${batch.id}: ${num(batch.request_counts.total)} lines.`;
    $('prompts').value = '';
    $('file-input').value = '';
    chooseFile(null);
    await refreshList();
    select(batch.id, batch);
  } catch (e) {
    message.textContent = 'Not submitted: ' + e.message;
  } finally {
    $('submit').disabled = false;
  }
}

// ---- the selected batch -----------------------------------------------------------------------------------------

function select(id, batch) {
  state.stream?.abort();
  state.selected = id;
  state.samples = [];
  state.lastResults = 0;
  $('detail').hidden = false;
  $('detail-id').textContent = id;
  $('results').replaceChildren();
  $('results-note').textContent = '';
  for (const row of $('batches').children) row.classList.toggle('selected', row.dataset.id === id);
  if (batch) show(batch);
  follow(id);
}

function show(b) {
  if (b.id !== state.selected) return;
  const c = b.request_counts, p = b.progress || {};
  const pct = percent(b);
  $('detail-status').textContent = b.status;
  $('detail-status').className = 'pill ' + b.status;
  $('progress-bar').style.width = pct + '%';
  $('progress-bar').style.background = b.status === 'failed' || b.status === 'cancelled' ? 'var(--bad)' : '';
  $('progress-text').textContent = pct + '%';
  $('progress').setAttribute('aria-valuenow', pct);
  $('fig-done').textContent = `${num(c.completed + c.failed)} / ${num(c.total)}`;
  $('fig-failed').textContent = num(c.failed);
  $('fig-rate').textContent = FINAL.has(b.status) ? '–' : num(p.lines_per_second, 1);
  $('fig-tpm').textContent = FINAL.has(b.status) ? '–' : num(p.tokens_per_minute);
  $('fig-eta').textContent = FINAL.has(b.status) ? 'done' : duration(p.eta_seconds);
  $('fig-429').textContent = num(p.rate_limited);
  $('fig-retries').textContent = num(p.retries);
  $('fig-tokens').textContent = num(b.usage && b.usage.total_tokens);
  $('cancel').disabled = FINAL.has(b.status) || b.status === 'cancelling';
  $('retry').hidden = !(FINAL.has(b.status) && b.request_counts.failed > 0);
  $('download-results').disabled = $('download-errors').disabled = !FINAL.has(b.status) || b.status === 'failed';
  if (!FINAL.has(b.status) && p.lines_per_second != null) {
    state.samples.push({ t: Date.now(), v: p.lines_per_second });
    if (state.samples.length > 600) state.samples.shift();
  }
  drawChart();
  updateRow(b);
  const now = Date.now();
  if (FINAL.has(b.status) || now - state.lastResults > 2000) {
    state.lastResults = now;
    loadFirstResults(b.id, FINAL.has(b.status));
  }
}

// The event stream read with fetch (EventSource cannot send a key); polling when there is none.
async function follow(id) {
  const ctrl = new AbortController();
  state.stream = ctrl;
  try {
    const res = await api(`/api/batches/${encodeURIComponent(id)}/events`, { signal: ctrl.signal, headers: { Accept: 'text/event-stream' } });
    if (!res.ok) throw new Error(await errorText(res));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r/g, '');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message', data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        }
        if (event !== 'progress' || !data) continue;
        const batch = JSON.parse(data);
        show(batch);
        if (FINAL.has(batch.status)) { refreshList(); return; }
      }
    }
  } catch (e) {
    if (ctrl.signal.aborted) return;
  }
  while (!ctrl.signal.aborted && state.selected === id) {
    const res = await api(`/api/batches/${encodeURIComponent(id)}`);
    if (res.ok) {
      const batch = await res.json();
      show(batch);
      if (FINAL.has(batch.status)) { refreshList(); return; }
    }
    await sleep(1500);
  }
}

// The first lines of the output as they finish (the finished prefix while the batch runs).
let resultsLoading = false;
async function loadFirstResults(id, final) {
  if (resultsLoading && !final) return;
  resultsLoading = true;
  try {
    const res = await api(`/api/batches/${encodeURIComponent(id)}/results?partial=true`);
    if (!res.ok || id !== state.selected) return;
    const complete = res.headers.get('Fanout-Complete') === 'true';
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '', lines = [];
    while (lines.length <= FIRST_RESULTS) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      lines = text.split('\n');
    }
    reader.cancel().catch(() => {});
    lines = lines.filter(l => l.trim()).slice(0, FIRST_RESULTS);
    if (!text.endsWith('\n') && lines.length < FIRST_RESULTS) lines.pop();
    const list = $('results');
    list.replaceChildren(...lines.map(resultItem));
    $('results-note').textContent = lines.length === 0 ? '(none finished yet)' : complete ? '' : '(so far, in input order)';
  } catch { /* next event tries again */ } finally {
    resultsLoading = false;
  }
}

function resultItem(line) {
  const li = document.createElement('li');
  try {
    const r = JSON.parse(line);
    if (r.error) {
      li.className = 'error';
      li.textContent = `${r.custom_id}: ${r.error.code}: ${r.error.message}`;
    } else {
      const body = r.response && r.response.body;
      const content = body && body.choices ? (body.choices[0].message || {}).content : body && body.data ? `[${body.data.length} embedding(s)]` : '';
      li.textContent = `${r.custom_id}: ${String(content ?? '').slice(0, 200)}`;
    }
  } catch {
    li.textContent = line.slice(0, 200);
  }
  return li;
}

function drawChart() {
  const canvas = $('chart');
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 640, h = canvas.clientHeight || 120;
  if (canvas.width !== w * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const s = state.samples;
  g.fillStyle = '#6a737d';
  g.font = '11px system-ui';
  if (s.length < 2) { g.fillText('lines/s over time', 6, 14); return; }
  const max = Math.max(...s.map(p => p.v), 0.001), t0 = s[0].t, span = Math.max(1, s[s.length - 1].t - t0);
  g.strokeStyle = '#0366d6';
  g.lineWidth = 2;
  g.beginPath();
  s.forEach((p, i) => {
    const x = 4 + (w - 8) * (p.t - t0) / span, y = h - 4 - (h - 22) * p.v / max;
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
  g.fillText(`${num(max, 1)} lines/s max · ${duration(span / 1000)}`, 6, 14);
}

async function download(kind) {
  const id = state.selected;
  const path = `/api/batches/${encodeURIComponent(id)}/${kind}`;
  const res = await api(path);
  if (!res.ok) { alert(await errorText(res)); return; }
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: `${id}-${kind === 'results' ? 'output' : 'errors'}.jsonl` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function retry() {
  const res = await api(`/api/batches/${encodeURIComponent(state.selected)}/retry`, { method: 'POST' });
  if (res.status !== 202) { alert(await errorText(res)); return; }
  const batch = await res.json();
  await refreshList();
  select(batch.id, batch);
}

async function cancel() {
  const res = await api(`/api/batches/${encodeURIComponent(state.selected)}/cancel`, { method: 'POST' });
  if (res.status === 202) show(await res.json()); else alert(await errorText(res));
}

// ---- the list ---------------------------------------------------------------------------------------------------

function row(b) {
  const tr = document.createElement('tr');
  tr.dataset.id = b.id;
  tr.onclick = () => select(b.id, b);
  const cells = [b.id, b.status, '', new Date(b.created_at * 1000).toLocaleString()];
  for (const text of cells) tr.insertCell().textContent = text;
  tr.cells[1].innerHTML = `<span class="pill ${b.status}">${b.status}</span>`;
  tr.cells[2].className = 'mini';
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = percent(b);
  tr.cells[2].append(bar, ` ${percent(b)}%`);
  tr.classList.toggle('selected', b.id === state.selected);
  return tr;
}

function updateRow(b) {
  const old = [...$('batches').children].find(r => r.dataset.id === b.id);
  if (old) old.replaceWith(row(b));
}

async function refreshList(more = false) {
  const query = new URLSearchParams({ limit: '20' });
  if (more && state.after) query.set('after', state.after);
  const res = await api('/api/batches?' + query);
  if (!res.ok) return;
  const page = await res.json();
  const rows = page.data.map(row);
  if (more) $('batches').append(...rows); else $('batches').replaceChildren(...rows);
  if (!more || page.data.length) state.after = page.data.length ? page.data[page.data.length - 1].id : state.after;
  $('more').hidden = !page.has_more;
}

async function checkHealth() {
  const pill = $('health');
  try {
    const res = await fetch('/healthz');
    pill.textContent = res.ok ? 'healthy' : 'unhealthy';
    pill.className = 'pill ' + (res.ok ? 'ok' : 'bad');
  } catch {
    pill.textContent = 'unreachable';
    pill.className = 'pill bad';
  }
}

// ---- wiring -----------------------------------------------------------------------------------------------------

$('submit').onclick = submit;
$('estimate').onclick = estimate;
$('retry').onclick = retry;
$('file-input').onchange = e => chooseFile(e.target.files[0]);
const zone = $('drop-zone');
zone.ondragover = e => { e.preventDefault(); zone.classList.add('over'); };
zone.ondragleave = () => zone.classList.remove('over');
zone.ondrop = e => { e.preventDefault(); zone.classList.remove('over'); chooseFile(e.dataTransfer.files[0]); };
$('download-results').onclick = () => download('results');
$('download-errors').onclick = () => download('errors');
$('cancel').onclick = cancel;
$('more').onclick = () => refreshList(true);
$('key-button').onclick = () => askKey();
checkHealth();
setInterval(checkHealth, 10000);
refreshList();
setInterval(() => { if (!document.hidden) refreshList(); }, 5000);
