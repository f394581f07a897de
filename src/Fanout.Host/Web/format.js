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

// "0.0123 USD" of a batch's cost; "unknown" where a price is missing.
function money(value, currency) {
  return value == null ? 'unknown' : `${Number(value).toFixed(4)} ${currency || ''}`.trim();
}

function costText(cost) {
  return cost ? money(cost.total, cost.currency) : '–';
}

// "provisioned 10 (0) · standard 5 (0.0100) · batch 0 (0)": lines answered and cost, per tier.
function tiersText(b) {
  const lines = b.lines_by_tier, cost = b.cost && b.cost.by_tier;
  if (!lines) return '–';
  const tier = name => `${name} ${num(lines[name])}${cost ? ' (' + money(cost[name]) + ')' : ''}`;
  return [tier('provisioned'), tier('standard'), tier('batch')].join(' · ') + (lines.cached ? ` · cached ${num(lines.cached)}` : '');
}
