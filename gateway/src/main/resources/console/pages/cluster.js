// The cluster: its members, their capacity, instances and seeds, and this node's start rates.
import * as api from '../api.js';
import { h, show, alert, table } from '../dom.js';

const POLL_MS = 2000;

// Counters of this node's /metrics summed by one label: {label value: total}.
function counters(text, name, label) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = line.match(new RegExp(label + '="([^"]*)"'));
    const key = m ? m[1] : '';
    const value = parseFloat(line.slice(line.lastIndexOf(' ') + 1));
    if (!isNaN(value)) out[key] = (out[key] || 0) + value;
  }
  return out;
}

function memberRow(m) {
  const used = m.capacity_mb ? Math.min(100, Math.round(100 * m.reserved_mb / m.capacity_mb)) : 0;
  return h('tr', { 'data-member': m.node || m.id },
    h('td', {}, m.node || h('span', { class: 'note' }, 'no invoker'), m.local ? ' (this node)' : ''),
    h('td', { class: 'hide-narrow' }, h('code', {}, m.api_url || m.address)),
    h('td', {}, m.capacity_mb === undefined ? '' : h('div', {},
      h('div', { class: 'bar', role: 'img', 'aria-label': used + '% of memory reserved' }, h('span', { style: null, 'data-pct': used })),
      m.reserved_mb + ' / ' + m.capacity_mb + ' MB')),
    h('td', {}, m.busy ?? ''), h('td', {}, m.idle ?? ''), h('td', {}, m.starting ?? ''), h('td', {}, m.seeds ?? ''));
}

export async function clusterPage(signal) {
  const members = h('div', { id: 'cluster-members' });
  const rates = h('div', { id: 'cluster-rates' });
  const status = h('div', { 'aria-live': 'polite' });
  show(h('h1', {}, 'Cluster'), status,
    h('section', { class: 'card' }, h('h2', {}, 'Members'), members),
    h('section', { class: 'card' }, h('h2', {}, 'Starts per second on this node'), rates,
      h('p', { class: 'note' }, 'From this node\'s /metrics (admin or metrics keys); remote forks are children restored here from another node\'s seed.')));
  let before = null;
  while (!signal.aborted) {
    try {
      const c = await api.json('/cleave/v1/cluster', { signal });
      status.replaceChildren(h('p', {}, 'Cluster ', h('strong', {}, c.name), ': ', String(c.members.length), ' members'));
      members.replaceChildren(table(['Node', 'API', 'Memory', 'Busy', 'Idle', 'Starting', 'Seeds'], c.members.map(memberRow)));
      for (const bar of members.querySelectorAll('[data-pct]')) bar.style.width = bar.dataset.pct + '%';
      try {
        const text = await api.text('/metrics', { signal });
        const now = { t: Date.now(), modes: counters(text, 'cleave_invocations_total', 'start_mode'),
          remote: counters(text, 'cleave_remote_fork_starts_total', '')[''] || 0 };
        if (before) {
          const secs = (now.t - before.t) / 1000;
          const rows = Object.keys(now.modes).filter(k => k !== 'none').map(k =>
            h('tr', {}, h('td', {}, k), h('td', {}, ((now.modes[k] - (before.modes[k] || 0)) / secs).toFixed(1))));
          rows.push(h('tr', {}, h('td', {}, 'remote children started'), h('td', {}, ((now.remote - before.remote) / secs).toFixed(1))));
          rates.replaceChildren(table(['Start mode', 'per second'], rows));
        }
        before = now;
      } catch (err) {
        if (signal.aborted) return;
        rates.replaceChildren(alert(err.message));
      }
    } catch (err) {
      if (signal.aborted) return;
      status.replaceChildren(alert(err.message));
      return;
    }
    await new Promise(r => setTimeout(r, POLL_MS));
  }
}
