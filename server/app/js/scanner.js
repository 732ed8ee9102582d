// Camera QR scanning for the trainer's screen: the back camera into a <video>, frames decoded
// with the browser's BarcodeDetector where it has one for QR codes (Chromium on Android,
// ChromeOS and macOS), else with the vendored jsQR on canvas frames a few times a second.
// Each distinct text is reported once; the same text is reported again only after it has been
// out of sight for REPEAT_MS (a badge held in front of the camera is one scan).

import jsQR from '../vendor/jsqr.js';

const REPEAT_MS = 3000;
const NATIVE_INTERVAL_MS = 100; // BarcodeDetector is fast: ~10 frames a second
const JSQR_INTERVAL_MS = 250; // jsQR costs tens of ms a frame on a cheap phone: ~4 a second
const MAX_SIDE = 960; // frames are scaled down to this for jsQR

let nativeDetector; // a promise of a BarcodeDetector for QR codes, or null

/** The browser's QR BarcodeDetector, or null when it has none. */
export function barcodeDetector() {
  nativeDetector ??= (async () => {
    if (!('BarcodeDetector' in globalThis)) return null;
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      return formats.includes('qr_code') ? new globalThis.BarcodeDetector({ formats: ['qr_code'] }) : null;
    } catch {
      return null;
    }
  })();
  return nativeDetector;
}

function sizeOf(source) {
  return [source.videoWidth || source.naturalWidth || source.width, source.videoHeight || source.naturalHeight || source.height];
}

let scratch; // the canvas frames are drawn on for jsQR, reused

function decodeWithJsQR(source) {
  const [width, height] = sizeOf(source);
  if (!width || !height) return null;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
  scratch ??= typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : document.createElement('canvas');
  if (scratch.width !== w || scratch.height !== h) [scratch.width, scratch.height] = [w, h];
  const context = scratch.getContext('2d', { willReadFrequently: true });
  context.drawImage(source, 0, 0, w, h);
  const found = jsQR(context.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'dontInvert' });
  return found ? found.data : null;
}

/**
 * Decodes the first QR code in an image (ImageBitmap, canvas, <img> or <video>) → its text, or
 * null. `using`: 'auto' (BarcodeDetector when available, else jsQR), 'native' (BarcodeDetector;
 * throws when the browser has none) or 'jsqr'.
 */
export async function decodeImage(source, { using = 'auto' } = {}) {
  const detector = using === 'jsqr' ? null : await barcodeDetector();
  if (using === 'native' && !detector) throw new Error('this browser has no BarcodeDetector for QR codes');
  if (!detector) return decodeWithJsQR(source);
  const codes = await detector.detect(source);
  return codes.find((code) => code.format === 'qr_code')?.rawValue ?? null;
}

/**
 * Starts the back camera in `video` and calls onText(text) for each QR code read (see the
 * header for repeats). → {stop()}, which stops the camera. Rejects when the camera is refused
 * or missing (getUserMedia's error: NotAllowedError, NotFoundError…).
 */
export async function startScanner(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  Object.assign(video, { srcObject: stream, muted: true, playsInline: true });
  let stopped = false;
  let timer;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  try {
    await video.play();
  } catch (error) {
    stop();
    throw error;
  }
  const interval = (await barcodeDetector()) ? NATIVE_INTERVAL_MS : JSQR_INTERVAL_MS;
  const seen = new Map(); // text → when it was last in sight
  const tick = async () => {
    if (stopped) return;
    let text = null;
    if (video.readyState >= video.HAVE_CURRENT_DATA) {
      try {
        text = await decodeImage(video);
      } catch (error) {
        console.warn('scanner: a frame could not be decoded', error);
      }
    }
    const now = performance.now();
    for (const [old, at] of seen) if (now - at > REPEAT_MS) seen.delete(old);
    if (text && !stopped) {
      const fresh = !seen.has(text);
      seen.set(text, now);
      if (fresh) {
        try {
          onText(text);
        } catch (error) {
          console.error('scanner: onText failed', error);
        }
      }
    }
    if (!stopped) timer = setTimeout(tick, interval);
  };
  tick();
  return { stop };
}
