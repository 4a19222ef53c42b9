// HTTP and Server-Sent Events client shared by the box's pages and the hub's HQ page.

export class ApiError extends Error {
  constructor(status, error = {}) {
    super(error.message || `HTTP ${status}`);
    this.status = status; // 0 when the request never got an answer
    this.code = error.code || (status ? 'http_' + status : 'network');
    this.fields = error.fields || null;
    this.menuItemIds = error.menu_item_ids || [];
    this.optionIds = error.option_ids || [];
    // limit_reached: which limit and its value; too_many_requests: seconds to wait.
    this.limit = error.limit ?? null;
    this.value = error.value ?? null;
    this.retryAfter = Number.isFinite(error.retry_after_s) ? error.retry_after_s : null;
    // A manager's approval ("required" or "wrong_pin"; the box's older answers say it only in
    // their message: pinpad.js reads both), a check's balance (unpaid_balance) and the tables
    // still open (open_sessions).
    this.approval = error.approval ?? null;
    this.balance = Number.isFinite(error.balance) ? error.balance : null;
    this.tables = Array.isArray(error.tables) ? error.tables : null;
  }
  get network() {
    return this.status === 0;
  }
  // Worth retrying with the same request (the server may not have seen it).
  get retryable() {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

export const NOT_MODIFIED = Symbol('not modified');

// "?a=1&b=x" from the parameters that have a value ("" when none has).
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const str = q.toString();
  return str ? `?${str}` : '';
}

// token(): current bearer token or null.
// relogin(): called once on a 401; resolves true when a new token is ready.
export function createApi({ token, relogin }) {
  async function call(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    const tk = token();
    if (tk) headers.Authorization = `Bearer ${tk}`;
    let body = opts.body;
    // A file goes as it is; a form (FormData: a release and its signature) as multipart, its
    // boundary set by the browser; anything else as JSON.
    if (body !== undefined && !(body instanceof Blob) && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body,
        cache: 'no-store',
        signal: AbortSignal.timeout(opts.timeout ?? 15000),
      });
    } catch {
      throw new ApiError(0, { code: 'network', message: '' });
    }
    if (res.status === 401 && relogin && !opts.retried && (await relogin())) {
      return call(method, path, { ...opts, retried: true });
    }
    if (res.status === 304) return NOT_MODIFIED;
    if (res.status === 204) return null;
    let data = null;
    const type = res.headers.get('content-type') || '';
    try {
      if (opts.blob && res.ok) data = await res.blob();
      else if (type.includes('json')) data = await res.json();
      else data = await res.text();
    } catch {
      throw new ApiError(0, { code: 'network', message: '' });
    }
    if (!res.ok) {
      const err = data && typeof data === 'object' && data.error ? { ...data.error } : { message: String(data || '') };
      const wait = Number(res.headers.get('retry-after'));
      if (err.retry_after_s == null && wait > 0) err.retry_after_s = wait;
      throw new ApiError(res.status, err);
    }
    return opts.withResponse ? { data, res } : data;
  }
  return {
    call,
    get: (p, o) => call('GET', p, o),
    post: (p, body, o) => call('POST', p, { ...o, body }),
    patch: (p, body, o) => call('PATCH', p, { ...o, body }),
    put: (p, body, o) => call('PUT', p, { ...o, body }),
    del: (p, o) => call('DELETE', p, o),
  };
}

// An EventSource that keeps going: the browser resumes with Last-Event-ID after a dropped
// connection; when the server refuses the stream (expired token, limit) the source closes,
// and it is opened again after a pause with ?last_event_id= so no event is missed.
//   url(lastId)       → stream URL (with the current token)
//   handlers          → { type: (data, {first}) => … }, including hello and resync
//   onStatus(up)      → connection indicator
//   beforeReconnect() → e.g. log in again; may throw to postpone
export function openStream({ url, handlers, onStatus, beforeReconnect }) {
  let es = null;
  let lastId = null;
  let timer = null;
  let failures = 0;
  let stopped = false;
  let greeted = false;

  function connect() {
    clearTimeout(timer);
    if (es) es.close();
    es = new EventSource(url(lastId));
    es.onopen = () => {
      failures = 0;
      onStatus(true);
    };
    es.onerror = () => {
      onStatus(false);
      if (es.readyState === EventSource.CLOSED) schedule();
    };
    for (const type of Object.keys(handlers)) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastId = ev.lastEventId;
        let data = {};
        try {
          data = JSON.parse(ev.data || '{}');
        } catch {
          /* a malformed frame is ignored */
        }
        if (type === 'hello') {
          if (lastId === null && data.last_event_id != null) lastId = String(data.last_event_id);
          onStatus(true);
        }
        const first = type === 'hello' && !greeted;
        if (type === 'hello') greeted = true;
        handlers[type](data, { first });
      });
    }
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    const delay = Math.min(30000, 1000 * 2 ** Math.min(failures++, 5));
    timer = setTimeout(async () => {
      if (stopped) return;
      try {
        if (beforeReconnect) await beforeReconnect();
      } catch {
        return schedule();
      }
      connect();
    }, delay);
  }

  const kick = () => {
    if (!stopped && (!es || es.readyState === EventSource.CLOSED)) {
      failures = 0;
      schedule();
    }
  };
  // The device lost its network (Wi-Fi off, out of range): an open stream may not notice for
  // a long time, so say so at once and reconnect when the network is back ('online').
  const drop = () => {
    if (stopped) return;
    if (es) es.close();
    onStatus(false);
    failures = 0;
    schedule();
  };
  window.addEventListener('online', kick);
  window.addEventListener('offline', drop);
  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener('online', kick);
      window.removeEventListener('offline', drop);
      if (es) es.close();
    },
    reconnect() {
      failures = 0;
      connect();
    },
  };
}

// Applies stream events in order while a full reload is running: events that arrive
// during the reload are queued and applied after it, so a slow answer never hides them.
export function createSync(load, onDone) {
  let loading = null;
  let again = false;
  const queue = [];
  // A reload asked for while one runs runs once more afterwards (its answer may predate
  // the stream's start).
  async function reload() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        do {
          again = false;
          await load();
        } while (again);
      } finally {
        loading = null;
        for (const fn of queue.splice(0)) fn();
        onDone();
      }
    })();
    return loading;
  }
  const wrap = (fn) => (data, meta) => {
    if (loading) queue.push(() => fn(data, meta));
    else {
      fn(data, meta);
      onDone();
    }
  };
  return { reload, wrap };
}

// crypto.randomUUID exists only in secure contexts; tablets on the LAN use plain http.
export function uuid() {
  if (crypto.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch {
      /* fall through */
    }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
