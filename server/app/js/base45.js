// Base45 (RFC 9285): bytes as QR alphanumeric characters, three digits per two bytes (two for
// a last odd byte), least significant digit first. Tickets are written in it (docs/tickets.md).
// `decode` is strict — it throws on any character outside the alphabet, a dangling single
// digit, or a group that overflows — and never trims: a space is a digit.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Bytes (Uint8Array or array of 0–255) → base45 text. */
export function encode(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      const n = bytes[i] * 256 + bytes[i + 1];
      text += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45) % 45] + ALPHABET[Math.floor(n / 2025)];
    } else {
      text += ALPHABET[bytes[i] % 45] + ALPHABET[Math.floor(bytes[i] / 45)];
    }
  }
  return text;
}

/** Base45 text → Uint8Array; throws a SyntaxError when the text is not base45. */
export function decode(text) {
  if (typeof text !== 'string') throw new TypeError('base45: text expected');
  if (text.length % 3 === 1) throw new SyntaxError('base45: dangling digit');
  const bytes = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  const digit = (i) => {
    const v = VALUE.get(text[i]);
    if (v === undefined) throw new SyntaxError(`base45: invalid character at ${i}`);
    return v;
  };
  let out = 0;
  for (let i = 0; i < text.length; i += 3) {
    if (i + 2 < text.length) {
      const n = digit(i) + digit(i + 1) * 45 + digit(i + 2) * 2025;
      if (n > 0xffff) throw new SyntaxError(`base45: group at ${i} overflows`);
      bytes[out++] = n >> 8;
      bytes[out++] = n & 0xff;
    } else {
      const n = digit(i) + digit(i + 1) * 45;
      if (n > 0xff) throw new SyntaxError(`base45: group at ${i} overflows`);
      bytes[out++] = n;
    }
  }
  return bytes;
}
