// Offline ticket checking (docs/tickets.md), the browser twin of shared/src/ticket.rs and
// shared/src/checkin.rs: `SX1:` + base45 of version (1) · key id (4) · event (16) ·
// registration (16) · Ed25519 signature (64) over the first 37 bytes, checked with WebCrypto
// against the key ring the server lists (`GET /api/v1/ticket-keys` → `keys`).

import { decode } from './base45.js';

export const PREFIX = 'SX1:';
const VERSION = 1;
const SIGNED_LEN = 37;
const TICKET_LEN = SIGNED_LEN + 64;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) =>
  /^([0-9a-fA-F]{2})*$/.test(text) ? Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16)) : null;
const uuid = (bytes) => {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

// Imported keys by public key (hex): a promise of {id (hex, computed), key (CryptoKey or null
// when the ring's entry is not a usable Ed25519 key)}.
const imported = new Map();

function importKey(publicKeyHex) {
  if (!imported.has(publicKeyHex)) {
    imported.set(publicKeyHex, (async () => {
      const raw = unhex(publicKeyHex);
      if (!raw || raw.length !== 32) return { id: null, key: null };
      const id = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', raw)).subarray(0, 4));
      try {
        return { id, key: await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']) };
      } catch (error) {
        // A browser without Ed25519 cannot check any ticket: that is not the ticket's fault.
        if (error?.name === 'NotSupportedError') { imported.delete(publicKeyHex); throw error; }
        return { id, key: null };
      }
    })());
  }
  return imported.get(publicKeyHex);
}

// RFC 8032's first test vector's public key: any valid key would do.
const RFC8032_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

/** Whether this browser's WebCrypto verifies Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
export async function ed25519Supported() {
  try {
    await crypto.subtle.importKey('raw', unhex(RFC8032_KEY), { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads and verifies a ticket text against `keyRing` ([{id, public_key (hex), retired}]).
 * → {ok: true, event, registration} (lowercase hyphenated UUIDs), or {ok: false, reason} with
 * reason one of 'no_prefix', 'not_base45', 'malformed' (wrong length or version),
 * 'unknown_key' (unknown or retired), 'bad_signature'. The text is never trimmed. Throws only
 * when the browser cannot verify Ed25519 at all.
 */
export async function verifyTicket(text, keyRing) {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) return { ok: false, reason: 'no_prefix' };
  let bytes;
  try {
    bytes = decode(text.slice(PREFIX.length));
  } catch {
    return { ok: false, reason: 'not_base45' };
  }
  if (bytes.length !== TICKET_LEN || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
  const signed = bytes.subarray(0, SIGNED_LEN);
  const keyId = hex(bytes.subarray(1, 5));
  let key = null;
  for (const entry of keyRing ?? []) {
    if (entry.retired || typeof entry.public_key !== 'string') continue;
    const candidate = await importKey(entry.public_key.toLowerCase());
    if (candidate.id === keyId && candidate.key) { key = candidate.key; break; }
  }
  if (!key) return { ok: false, reason: 'unknown_key' };
  const good = await crypto.subtle.verify('Ed25519', key, bytes.subarray(SIGNED_LEN), signed);
  if (!good) return { ok: false, reason: 'bad_signature' };
  return { ok: true, event: uuid(bytes.subarray(5, 21)), registration: uuid(bytes.subarray(21, 37)) };
}

/**
 * The scan's verdict, in the order of shared/src/checkin.rs: 'invalid' (ticket not ok) →
 * 'wrong_event' (another event than `event`) → 'revoked' → 'duplicate' → 'ok'. `ticket` is
 * verifyTicket's answer; `known` = {revoked, alreadyScanned}, what the phone's own data says
 * of the ticket's registration (needed only for a valid ticket of this event).
 */
export function verdict({ ticket, event, known = {} }) {
  if (!ticket?.ok) return 'invalid';
  if (ticket.event !== String(event).toLowerCase()) return 'wrong_event';
  if (known.revoked) return 'revoked';
  if (known.alreadyScanned) return 'duplicate';
  return 'ok';
}
