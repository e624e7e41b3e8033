// The API as the console calls it: the key the user typed, kept in this tab's sessionStorage only,
// sent as Authorization: Bearer; an error is thrown with the API's own message.
const KEY = 'cleave.key';

export function key() { return sessionStorage.getItem(KEY); }
export function setKey(k) { sessionStorage.setItem(KEY, k); whoami = null; }
export function forget() { sessionStorage.removeItem(KEY); whoami = null; }

// What the key is ({role, app_id, app_name}), asked once per key.
let whoami = null;
export function self() {
  if (!whoami) whoami = json('/cleave/v1/keys/self').catch(err => { whoami = null; throw err; });
  return whoami;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function failure(res) {
  let message = res.status + ' ' + res.statusText;
  try {
    const body = await res.json();
    if (body && body.message) message = body.message;
  } catch (e) { /* not JSON: the status line says it */ }
  if (res.status === 401 && key()) window.dispatchEvent(new CustomEvent('cleave-unauthorized', { detail: message }));
  return new ApiError(res.status, message);
}

export async function raw(method, path, { body, headers, signal, withKey = key() } = {}) {
  const h = new Headers(headers || {});
  if (withKey) h.set('Authorization', 'Bearer ' + withKey);
  return fetch(path, { method, headers: h, body, signal, cache: 'no-store' });
}

export async function json(path, opts = {}) {
  const res = await raw(opts.method || 'GET', path, opts);
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

export async function text(path, opts = {}) {
  const res = await raw('GET', path, opts);
  if (!res.ok) throw await failure(res);
  return res.text();
}

// Every page of a Fn list (items, next_cursor), at most `pages` pages.
export async function all(path, pages = 10) {
  const items = [];
  let cursor = '';
  for (let i = 0; i < pages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await json(path + sep + 'per_page=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

// Reads a server-sent-events feed with fetch (EventSource cannot send the Authorization header);
// calls onEvent(name, data) per event; resolves when the feed ends.
export async function feed(path, signal, onEvent) {
  const res = await raw('GET', path, { signal, headers: { Accept: 'text/event-stream' } });
  if (!res.ok) throw await failure(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}
