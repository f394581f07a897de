// Numbers, durations and sizes as the page shows them.
'use strict';

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
