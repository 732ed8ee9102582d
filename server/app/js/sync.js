// Talking to the server: enrolment, then sync — push the outbox in batches (gzip-compressed;
// the browser decompresses pulls by itself), then pull pages until nothing more waits. The
// device's clock goes with every request. Only acknowledged ops leave the outbox, so a sync
// cut short by a closed tab or a lost network loses nothing: the next one sends them again.

import { acknowledge, applyPage } from './replica.js';
import { reset, transaction } from './store.js';
import { decodePage, encodePush } from './wire.js';

const BATCH = 500;
const PAGE = 1000;

/** A failure the user should see: what the server said, or that it could not be reached. */
export class SyncError extends Error {
  constructor(message, { offline = false, status = 0 } = {}) {
    super(message);
    this.offline = offline;
    this.status = status;
  }
}

async function request(path, init = {}) {
  try {
    return await fetch(path, init);
  } catch (error) {
    throw new SyncError(String(error.message ?? error), { offline: true });
  }
}

async function problem(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return new SyncError(body.detail ?? body.title ?? text, { status: response.status });
  } catch {
    return new SyncError(`${response.status} ${text}`.trim(), { status: response.status });
  }
}

/**
 * Enrols with a one-time token (or the enrolment QR's JSON text) and keeps the enrolment.
 * A phone holds one enrolment: a new one forgets the old replica.
 */
export async function enroll(tokenOrQr) {
  let token = tokenOrQr.trim();
  if (token.startsWith('{')) {
    const scanned = JSON.parse(token);
    if (scanned.server && new URL(scanned.server).origin !== location.origin) {
      throw new SyncError(`this app belongs to ${location.origin}, not ${scanned.server}`);
    }
    token = scanned.token;
  }
  const response = await request('/api/v1/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!response.ok) throw await problem(response);
  const enrolment = await response.json();
  await reset();
  await transaction('readwrite', async (tx) => {
    await tx.setMeta('enrolment', enrolment);
    await tx.setMeta('next_seq', 1);
    await tx.setMeta('cursor', '');
    await tx.setMeta('ticket_keys', enrolment.ticket_keys ?? []);
  });
  return enrolment;
}

function headers(me, extra = {}) {
  return {
    authorization: `Bearer ${me.access_token}`,
    'x-sachhon-device-time': String(Date.now()),
    ...extra,
  };
}

async function gzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Pushes the whole outbox; returns how many ops left it. */
async function pushAll(me) {
  let pushed = 0;
  let limit = BATCH;
  for (;;) {
    const ops = await transaction('readonly', (tx) => tx.outbox(limit));
    if (ops.length === 0) return pushed;
    const response = await request('/api/v1/sync/push', {
      method: 'POST',
      headers: headers(me, { 'content-type': 'application/cbor', 'content-encoding': 'gzip' }),
      body: await gzip(encodePush(me.actor_id, ops)),
    });
    const first = ops[0].seq;
    if (response.ok) {
      const ack = await response.json();
      if (ack.acked_through < first) throw new SyncError('the server acknowledged nothing');
      await acknowledge(ack.acked_through, ack.rejected ?? []);
      pushed += ack.acked_through - first + 1;
    } else if (response.status === 409) {
      const body = await response.json();
      if (!(body.expected_seq > first)) throw new SyncError(body.detail ?? 'sequence gap', { status: 409 });
      await acknowledge(body.expected_seq - 1, []);
      pushed += body.expected_seq - first;
    } else if (response.status === 413 && limit > 1) {
      limit = Math.max(1, Math.floor(limit / 2));
    } else {
      throw await problem(response);
    }
  }
}

/** Pulls pages until nothing more waits; returns how many ops arrived. */
async function pullAll(me) {
  let pulled = 0;
  for (;;) {
    const cursor = await transaction('readonly', (tx) => tx.meta('cursor'));
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set('after', cursor);
    const response = await request(`/api/v1/sync/pull?${query}`, { headers: headers(me) });
    if (!response.ok) throw await problem(response);
    const page = decodePage(new Uint8Array(await response.arrayBuffer()));
    await applyPage(page);
    pulled += page.ops.length;
    if (!page.more) return pulled;
    if (page.ops.length === 0 && page.next === cursor) throw new SyncError('the server sent no progress');
  }
}

let running = null;

/** Pushes then pulls; one sync at a time (a second call waits for the running one). */
export function sync() {
  running ??= (async () => {
    try {
      const me = await transaction('readonly', (tx) => tx.meta('enrolment'));
      if (!me) throw new SyncError('not enrolled');
      const pushed = await pushAll(me);
      const pulled = await pullAll(me);
      const at = new Date().toISOString();
      await transaction('readwrite', (tx) => tx.setMeta('last_sync', at));
      return { pushed, pulled, at };
    } finally {
      running = null;
    }
  })();
  return running;
}
