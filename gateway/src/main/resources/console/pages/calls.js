// Calls (activations) with filters, and one call with its record and its logs.
import * as api from '../api.js';
import { h, show, alert, table, badge, kv, ms, time } from '../dom.js';

const STATUSES = ['', 'success', 'error', 'timeout', 'oom', 'crashed', 'rejected'];
const MODES = ['', 'warm', 'fork', 'remote-fork', 'restore', 'cold'];

async function functions() {
  const names = {};
  for (const app of await api.all('/v2/apps')) {
    try {
      for (const fn of await api.all('/v2/fns?app_id=' + encodeURIComponent(app.id))) {
        names[fn.id] = app.name + ' / ' + fn.name;
      }
    } catch (e) { /* an app this key cannot list: its functions are not offered */ }
  }
  return names;
}

function select(id, label, options, chosen) {
  return [h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)))];
}

export async function callsPage(signal, query) {
  const q = new URLSearchParams(query || '');
  const names = await functions();
  // A deploy key sees one app's functions and may not list every call: its first function is the default.
  let fnChosen = q.get('fn') || '';
  if (!fnChosen && (await api.self()).role !== 'admin') fnChosen = Object.keys(names)[0] || '';
  const form = h('form', { class: 'card', id: 'call-filters' },
    h('div', { class: 'row' },
      h('div', {}, select('fn', 'Function', [['', 'all (admin keys)'], ...Object.entries(names)], fnChosen)),
      h('div', {}, select('status', 'Status', STATUSES.map(s => [s, s || 'any']), q.get('status') || '')),
      h('div', {}, select('mode', 'Start mode', MODES.map(s => [s, s || 'any']), q.get('mode') || '')),
      h('div', {}, h('label', { for: 'since' }, 'Since'),
        h('input', { id: 'since', name: 'since', type: 'datetime-local', value: q.get('since') || '' })),
      h('div', {}, h('label', { for: 'limit' }, 'At most'),
        h('input', { id: 'limit', name: 'limit', type: 'number', min: 1, max: 1000, value: q.get('limit') || '50' })),
      h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', e => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
    location.hash = '#/calls?' + next;
  });
  const results = h('div', { 'aria-live': 'polite' });
  show(h('h1', {}, 'Calls'), form, results);
  const params = new URLSearchParams({ limit: q.get('limit') || '50' });
  if (fnChosen) params.set('fn_id', fnChosen);
  if (q.get('since')) params.set('since', new Date(q.get('since')).toISOString());
  let items;
  try {
    items = (await api.json('/cleave/v1/activations?' + params, { signal })).items;
  } catch (err) {
    results.replaceChildren(alert(err.message));
    return;
  }
  items = items.filter(a => (!q.get('status') || a.status === q.get('status'))
    && (!q.get('mode') || a.start_mode === q.get('mode')));
  results.replaceChildren(items.length ? table(['Started', 'Function', 'Status', 'Start', 'Duration', 'Node', 'Call'],
    items.map(a => h('tr', {},
      h('td', {}, time(a.start)), h('td', {}, names[a.fn_id] || a.fn_id),
      h('td', {}, badge(a.status), ' ', a.http_status || ''), h('td', {}, badge(a.start_mode)),
      h('td', {}, ms(a.duration_ms)), h('td', { class: 'hide-narrow' }, a.node),
      h('td', {}, h('a', { href: '#/call/' + a.id, class: 'mono' }, a.id)))))
    : h('p', { class: 'note' }, 'No calls match.'));
}

export async function callPage(signal, id) {
  const a = await api.json('/cleave/v1/activations/' + encodeURIComponent(id), { signal });
  let logs = null;
  let logError = '';
  try {
    logs = await api.text('/cleave/v1/activations/' + encodeURIComponent(id) + '/logs', { signal });
  } catch (err) {
    logError = err.message;
  }
  show(h('h1', {}, 'Call ', h('span', { class: 'mono' }, a.id)),
    h('p', {}, h('a', { href: '#/fn/' + a.fn_id }, 'Function'), ' · ', h('a', { href: '#/calls?fn=' + a.fn_id }, 'Its calls')),
    h('section', { class: 'card' }, kv([
      ['Status', h('span', {}, badge(a.status), ' ', a.http_status || '')], ['Start mode', badge(a.start_mode)],
      ['Started', time(a.start)], ['Ended', time(a.end)], ['Duration', ms(a.duration_ms)], ['Waited', ms(a.wait_ms)],
      ['Instance start', ms(a.init_ms)], ['Response', a.response_size === undefined ? '' : a.response_size + ' bytes'],
      ['Node', a.node], ['Seed node', a.seed_node], ['Why not faster', a.start_note], ['Error', a.error]])),
    h('section', { class: 'card' }, h('h2', {}, 'Logs (stdout and stderr)'),
      logs === null ? alert(logError) : logs ? h('pre', { id: 'call-logs' }, logs) : h('p', { class: 'note' }, 'It printed nothing.')));
}
