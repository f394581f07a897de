// The list of batches and the health line.
'use strict';

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
