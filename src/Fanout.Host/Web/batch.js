// The selected batch: its live progress, first results, chart, downloads, retry and cancel.
'use strict';

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
  $('fig-cached').textContent = num(c.cached || 0);
  $('fig-rate').textContent = FINAL.has(b.status) ? '–' : num(p.lines_per_second, 1);
  $('fig-tpm').textContent = FINAL.has(b.status) ? '–' : num(p.tokens_per_minute);
  $('fig-eta').textContent = FINAL.has(b.status) ? 'done' : duration(p.eta_seconds);
  $('fig-429').textContent = num(p.rate_limited);
  $('fig-retries').textContent = num(p.retries);
  $('fig-invalid').textContent = num(p.invalid_outputs || 0);
  $('fig-tokens').textContent = num(b.usage && b.usage.total_tokens);
  $('fig-cost').textContent = costText(b.cost);
  $('fig-tiers').textContent = tiersText(b);
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
      const content = body && body.choices ? (body.choices[0].message || {}).content
        : body && body.object === 'response' ? outputText(body)
        : body && body.data ? `[${body.data.length} embedding(s)]` : '';
      li.textContent = `${r.custom_id}: ${String(content ?? '').slice(0, 200)}`;
    }
  } catch {
    li.textContent = line.slice(0, 200);
  }
  return li;
}

// A Responses API answer's text: the output_text parts of its message items.
function outputText(body) {
  return (body.output || []).filter(i => i.type === 'message')
    .flatMap(i => i.content || []).filter(c => c.type === 'output_text').map(c => c.text).join('');
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
