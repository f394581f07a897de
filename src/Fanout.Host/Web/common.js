// Fanout's web page: plain JavaScript, no build step, no CDN. Talks to the same HTTP API as everyone else
// (API.md); with access keys on, it asks for the key once and sends it as "Authorization: Bearer".
// The page's scripts are classic scripts loaded in order (index.html); this one holds what they share.
'use strict';

const $ = id => document.getElementById(id);
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);
const FIRST_RESULTS = 20;
const state = { key: localStorage.getItem('fanout.key') || '', selected: null, stream: null, samples: [], lastResults: 0, file: null, after: null };
