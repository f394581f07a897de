// Choosing a file, estimating and submitting a batch.
'use strict';

function chooseFile(file) {
  state.file = file || null;
  $('file-name').textContent = file ? `${file.name} (${num(file.size)} bytes)` : '';
}

// The request a submit (or its dry run) sends: the chosen file as is, or the pasted prompts as a prompts form.
async function buildRequest() {
  const cap = $('max-concurrency').value.trim();
  const deployment = $('deployment').value.trim();
  const budget = $('max-total-tokens').value.trim();
  const deadline = $('deadline').value.trim();
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
  if (deadline) query.set('deadline', deadline);
  if ($('cache').checked) query.set('cache', 'true');
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
    const plans = (e.plans || []).map(p => `${p.name}: ${p.estimated_cost && p.estimated_cost.low != null
      ? `${p.estimated_cost.low.toFixed(4)}–${p.estimated_cost.high.toFixed(4)} ${p.estimated_cost.currency}` : 'cost unknown'}` +
      `${p.estimated_seconds != null ? ' in ' + duration(p.estimated_seconds) : ''}`).join('; ');
    const cached = e.cached_lines ? `, ${num(e.cached_lines)} answered from the cache` : '';
    message.textContent = `Estimate: ${num(e.lines)} lines (${num(e.invalid)} invalid${bad ? ': ' + bad : ''}${cached}), ` +
      `${num(e.prompt_tokens)} prompt tokens, up to ${num(e.max_completion_tokens)} output tokens, cost ${cost}, time at quota ${time}` +
      `${plans ? '. Plans: ' + plans : ''}.`;
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
