// One function: its config and endpoints, and a form that invokes it with a body and headers.
import * as api from '../api.js';
import { h, show, alert, kv, badge, copyButton } from '../dom.js';

const INVOKE = 'fnproject.io/fn/invokeEndpoint';
const HTTP = 'fnproject.io/trigger/httpEndpoint';

// "Name: value" lines; blank lines are skipped, a line without a colon is an error.
function parseHeaders(text) {
  const headers = new Headers();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('a header line needs "Name: value": ' + line);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

function invokeForm(fn) {
  const body = h('textarea', { id: 'invoke-body', name: 'body', rows: 6 });
  const headers = h('textarea', { id: 'invoke-headers', name: 'headers', rows: 3,
    placeholder: 'Content-Type: application/json' });
  const out = h('div', { id: 'invoke-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', id: 'invoke' }, 'Invoke');
  const form = h('form', { class: 'card', 'aria-labelledby': 'invoke-title' },
    h('h2', { id: 'invoke-title' }, 'Invoke'),
    h('label', { for: 'invoke-body' }, 'Body'), body,
    h('label', { for: 'invoke-headers' }, 'Headers (one "Name: value" per line)'), headers,
    h('p', {}, button), out);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'note' }, 'Calling…'));
    try {
      const started = performance.now();
      const res = await api.raw('POST', '/invoke/' + encodeURIComponent(fn.id),
        { body: body.value, headers: parseHeaders(headers.value) });
      const answer = await res.text();
      const took = Math.round(performance.now() - started);
      const callId = res.headers.get('Fn-Call-Id');
      let message = '';
      if (!res.ok) {
        try { message = JSON.parse(answer).message || ''; } catch (err) { /* the function's own body */ }
      }
      out.replaceChildren(
        kv([['Status', h('span', { id: 'invoke-status' }, String(res.status))],
          ['Start mode', badge(res.headers.get('Cleave-Start-Mode'))],
          ['Time', took + ' ms (in the browser)'],
          ['Node', res.headers.get('Cleave-Node')],
          ['Call', callId ? h('a', { id: 'invoke-call', href: '#/call/' + callId }, callId) : '']]),
        message ? alert(message) : '',
        h('h3', {}, 'Answer'), h('pre', { id: 'invoke-answer' }, answer));
    } catch (err) {
      out.replaceChildren(alert(err.message));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function fnPage(signal, id) {
  const fn = await api.json('/v2/fns/' + encodeURIComponent(id), { signal });
  const triggers = await api.all('/v2/triggers?app_id=' + encodeURIComponent(fn.app_id) + '&fn_id=' + encodeURIComponent(fn.id));
  const ann = fn.annotations || {};
  const url = ann[INVOKE];
  show(
    h('h1', {}, fn.name),
    h('p', {}, h('a', { href: '#/live/' + fn.id }, 'Live view'), ' · ', h('a', { href: '#/calls?fn=' + fn.id }, 'Calls')),
    h('div', { class: 'grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Function'), kv([
        ['ID', h('code', {}, fn.id)], ['App', h('code', {}, fn.app_id)], ['Image', h('code', {}, fn.image || '')],
        ['Memory', fn.memory ? fn.memory + ' MB' : ''], ['Timeout', fn.timeout ? fn.timeout + ' s' : ''],
        ['Idle timeout', fn.idle_timeout ? fn.idle_timeout + ' s' : ''],
        ['Endpoint', url ? h('span', {}, h('code', {}, url), ' ', copyButton(url, 'invoke endpoint')) : ''],
        ['Updated', fn.updated_at]])),
      h('section', { class: 'card' }, h('h2', {}, 'Config'),
        Object.keys(fn.config || {}).length ? kv(Object.entries(fn.config).map(([k, v]) => [k, h('code', {}, v)]))
          : h('p', { class: 'note' }, 'none'),
        h('h2', {}, 'Triggers'),
        triggers.length ? h('ul', {}, triggers.map(t => {
          const e = (t.annotations || {})[HTTP];
          return h('li', {}, t.name, ' ', h('code', {}, t.source), ' ', e ? copyButton(e, 'endpoint of trigger ' + t.name) : '');
        })) : h('p', { class: 'note' }, 'none'))),
    invokeForm(fn));
}
