// Builds elements from data without ever parsing it as HTML: names, logs and bodies come from tenants.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces what the page shows; returns the container.
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
  return main;
}

export function alert(message) {
  return h('div', { class: 'alert', role: 'alert' }, message);
}

export function badge(text) {
  return text ? h('span', { class: 'badge ' + text }, text) : '';
}

export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(p => p[1] !== undefined && p[1] !== null && p[1] !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function table(head, rows) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, head.map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

// A button that copies text; falls back to a selected text area where the clipboard API is missing (plain http).
export function copyButton(text, what) {
  const b = h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Copy ' + what }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = 'Copy'; }, 1500);
  });
  return b;
}

export function ms(v) {
  return v === undefined || v === null ? '' : v + ' ms';
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}
