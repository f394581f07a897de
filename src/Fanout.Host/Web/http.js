// The HTTP API client of the page: the access key prompt, JSON calls, error text.
'use strict';

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
