// The field app's screens: enrolment, the trainer's check-in (scan or type a ticket, walk-ins,
// annul the last scan) and the enterprise's questionnaire, with the sync status always in
// view. Everything works on the local replica; sync runs on the button, at start and when the
// network comes back.

import { language, texts } from './i18n.js';
import { checkAnswer, control, label, readAnswer } from './questionnaire.js';
import { act, enrolment, Refused } from './replica.js';
import { startScanner } from './scanner.js';
import { transaction } from './store.js';
import { enroll, sync, SyncError } from './sync.js';
import { verdict, verifyTicket } from './tickets.js';

const lang = language();
const t = texts(lang);
const $ = (selector) => document.querySelector(selector);
let lastScan = null;
let scanner = null;

/** A new time-ordered id (UUID v7), as every record id is. */
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function say(text, error = false) {
  const message = $('#message');
  message.textContent = text;
  message.classList.toggle('error', error);
}

function failed(error) {
  say(error instanceof Refused || error instanceof SyncError ? error.message : String(error), true);
}

async function refreshStatus() {
  const [count, lastSync] = await transaction('readonly', async (tx) => [
    await tx.outboxCount(),
    await tx.meta('last_sync'),
  ]);
  const outbox = $('#outbox');
  outbox.dataset.count = String(count);
  outbox.textContent = t('outbox', count);
  $('#last-sync').textContent = t('last_sync', lastSync ? new Date(lastSync).toLocaleString(lang) : null);
  $('#network').textContent = navigator.onLine ? t('online') : t('offline');
}

async function runSync() {
  try {
    const done = await sync();
    say(t('synced', done.pushed, done.pulled));
    document.body.dataset.synced = done.at;
    await render();
  } catch (error) {
    failed(error);
  } finally {
    await refreshStatus();
  }
}

// --- Enrolment ----------------------------------------------------------------------------

async function enrolWith(text) {
  try {
    await enroll(text);
    await runSync();
  } catch (error) {
    failed(error);
    await render();
  }
}

async function toggleCamera(onText) {
  if (scanner) {
    scanner.stop();
    scanner = null;
    $('#camera').hidden = true;
    return;
  }
  const video = $('#camera');
  video.hidden = false;
  try {
    scanner = await startScanner(video, onText);
  } catch (error) {
    video.hidden = true;
    failed(error);
  }
}

// --- Trainer ------------------------------------------------------------------------------

async function renderTrainer(tx) {
  const select = $('#event');
  const chosen = select.value || localStorage.getItem('event');
  const events = (await tx.docs('event'))
    .map(({ id, doc }) => ({ id, title: doc.values('title')[0] ?? id, at: doc.values('starts_at')[0] ?? '' }))
    .sort((a, b) => b.at.localeCompare(a.at));
  select.replaceChildren(
    ...events.map((event) => {
      const option = document.createElement('option');
      option.value = event.id;
      option.textContent = `${event.title} — ${event.at.slice(0, 10)}`;
      option.selected = event.id === chosen;
      return option;
    }),
  );
  if (events.length === 0) say(t('no_events'));
  $('#attendees').textContent = t('attendees', await attendeeCount(tx, select.value));
}

/** The scans of an event that still count (not annulled). */
async function scansOf(tx, event) {
  const annulled = new Set((await tx.facts('annulment')).map((f) => f.change.annul.scan));
  return (await tx.facts('scan'))
    .filter((f) => f.change.scan.event === event && !annulled.has(f.id));
}

async function attendeeCount(tx, event) {
  const scans = await scansOf(tx, event);
  return new Set(scans.map((f) => f.change.scan.person ?? f.change.scan.registration)).size;
}

function showVerdict(status, detail = '') {
  const output = $('#verdict');
  output.dataset.status = status;
  output.textContent = t(`status_${status}`);
  if (detail) {
    const small = document.createElement('small');
    small.textContent = detail;
    output.append(small);
  }
  navigator.vibrate?.(status === 'ok' ? 120 : [120, 60, 120, 60, 120]);
  beep(status === 'ok' ? 880 : 220);
}

function beep(frequency) {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
  } catch {
    // No sound where the browser allows none; the colour and the vibration remain.
  }
}

async function checkTicket(text) {
  const event = $('#event').value;
  const keyRing = (await transaction('readonly', (tx) => tx.meta('ticket_keys'))) ?? [];
  const ticket = await verifyTicket(text, keyRing);
  try {
    const { status, name } = await act(async ({ tx, fact }) => {
      let known = { revoked: false, alreadyScanned: false };
      let person = null;
      let name = '';
      if (ticket.ok) {
        const registration = await tx.doc('registration', ticket.registration);
        person = registration?.values('person_id')[0] ?? null;
        const scans = await scansOf(tx, event);
        known = {
          revoked: registration?.values('revoked')[0] === true,
          alreadyScanned: scans.some((f) => f.change.scan.registration === ticket.registration
            || (person !== null && f.change.scan.person === person)),
        };
        if (person) name = (await tx.doc('person', person))?.values('name')[0] ?? '';
      }
      const status = verdict({ ticket, event, known });
      if (status === 'ok' || status === 'duplicate') {
        lastScan = newId();
        await fact('scan', lastScan, {
          scan: {
            event, registration: ticket.registration, person, operator: null,
            scanned_at_ms: Date.now(), status, walk_in: false,
          },
        });
      }
      return { status, name };
    });
    showVerdict(status, name);
  } catch (error) {
    failed(error);
  }
  await renderAndStatus();
}

async function walkIn() {
  const name = $('#walkin-name').value.trim();
  const event = $('#event').value;
  if (!name || !event) return;
  const [person, registration, scan] = [newId(), newId(), newId()];
  try {
    await act(async ({ write, fact }) => {
      await write('person', person, [['name', name], ['facility_id', null], ['cp_staff', false]]);
      await write('registration', registration, [['event_id', event], ['person_id', person]]);
      await fact('scan', scan, {
        scan: {
          event, registration, person, operator: null,
          scanned_at_ms: Date.now(), status: 'ok', walk_in: true,
        },
      });
    });
    lastScan = scan;
    $('#walkin-name').value = '';
    showVerdict('ok', t('walked_in', name));
  } catch (error) {
    failed(error);
  }
  await renderAndStatus();
}

async function annulLast() {
  if (!lastScan) return;
  try {
    await act(({ fact }) => fact('annulment', newId(), { annul: { scan: lastScan, reason: null } }));
    lastScan = null;
    say(t('annulled'));
  } catch (error) {
    failed(error);
  }
  await renderAndStatus();
}

// --- Enterprise ---------------------------------------------------------------------------

/** The newest version of each published questionnaire, and every version by id and number. */
async function publications(tx) {
  const all = (await tx.facts('questionnaire')).map((f) => f.change.publish);
  const newest = new Map();
  for (const p of all) {
    if (!newest.has(p.questionnaire) || newest.get(p.questionnaire).version < p.version) {
      newest.set(p.questionnaire, p);
    }
  }
  return { newest, version: (q, v) => all.find((p) => p.questionnaire === q && p.version === v) };
}

async function renderEnterprise(tx, me) {
  const { newest, version } = await publications(tx);
  const select = $('#questionnaire');
  const chosen = select.value;
  select.replaceChildren(
    ...[...newest.values()].map((p) => {
      const option = document.createElement('option');
      option.value = p.questionnaire;
      option.textContent = `${label(p.definition.title, lang)} (v${p.version})`;
      option.selected = p.questionnaire === chosen;
      return option;
    }),
  );
  if (newest.size === 0) {
    say(t('no_questionnaires'));
    $('#answers').replaceChildren();
    return;
  }
  const questionnaire = select.value;
  const responses = (await tx.docs('response')).filter(({ doc }) =>
    doc.values('$questionnaire')[0] === questionnaire
    && (me.facility_id == null || doc.values('$facility')[0] === me.facility_id));
  const responseSelect = $('#response');
  const current = responseSelect.value;
  responseSelect.replaceChildren(
    new Option(t('new_response'), ''),
    ...responses.map(({ id, doc }) => {
      const at = doc.values('$answered_at')[0];
      return new Option(at ? new Date(at).toLocaleString(lang) : id, id, false, id === current);
    }),
  );
  const response = responses.find(({ id }) => id === responseSelect.value);
  const publication = response
    ? version(questionnaire, response.doc.values('$version')[0])
    : newest.get(questionnaire);
  renderForm(publication, response?.doc);
  const review = response?.doc.values('$review')[0];
  const comment = response?.doc.values('$review_comment')[0];
  $('#review').textContent = review
    ? `${t('review')}: ${t(`review_${review}`)}${comment ? ` — ${comment}` : ''}` : '';
}

function renderForm(publication, doc) {
  const form = $('#answers');
  form.replaceChildren();
  if (!publication) return;
  for (const question of publication.definition.questions) {
    if (question.kind === 'note') {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = label(question.label, lang);
      form.append(note);
      continue;
    }
    const values = doc?.values(question.key) ?? [];
    const wrapper = document.createElement('div');
    const caption = document.createElement('label');
    caption.htmlFor = `q-${question.key}`;
    caption.textContent = label(question.label, lang) || question.key;
    wrapper.append(caption, control(question, values[0], lang, t));
    if (values.length > 1) {
      const note = document.createElement('p');
      note.className = 'conflict';
      note.textContent = `${t('conflict')}: ${values.map((v) => JSON.stringify(v)).join(' / ')}`;
      wrapper.append(note);
    }
    form.append(wrapper);
  }
}

async function saveAnswers() {
  const me = await enrolment();
  const questionnaire = $('#questionnaire').value;
  const existing = $('#response').value;
  const id = existing || newId();
  try {
    const saved = await act(async ({ tx, write }) => {
      const { newest, version } = await publications(tx);
      const doc = existing ? await tx.doc('response', id) : null;
      const publication = doc ? version(questionnaire, doc.values('$version')[0]) : newest.get(questionnaire);
      const fields = [];
      if (!doc) {
        fields.push(['$questionnaire', questionnaire], ['$version', publication.version],
          ['$facility', me.facility_id], ['$answered_at', new Date().toISOString()]);
      }
      for (const question of publication.definition.questions) {
        if (question.kind === 'note') continue;
        const value = readAnswer(question, $('#answers').elements.namedItem(question.key));
        if (value === undefined) continue;
        const problem = checkAnswer(question, value, t);
        if (problem) throw new Refused(`${label(question.label, lang) || question.key}: ${problem}`);
        const held = doc?.values(question.key) ?? [];
        if (held.length !== 1 || JSON.stringify(held[0]) !== JSON.stringify(value)) {
          fields.push([question.key, value]);
        }
      }
      if (fields.length === 0) return false;
      await write('response', id, fields);
      return true;
    });
    say(saved ? t('saved') : t('nothing_to_save'));
    if (saved && !existing) {
      await render();
      $('#response').value = id;
    }
  } catch (error) {
    failed(error);
  }
  await renderAndStatus();
}

// --- The page -----------------------------------------------------------------------------

async function render() {
  const me = await enrolment();
  $('#enrol').hidden = Boolean(me);
  $('#status').hidden = !me;
  const staff = me && me.role !== 'enterprise';
  $('#trainer').hidden = !staff;
  $('#enterprise').hidden = !me || staff;
  $('#role').textContent = me ? t(`role_${me.role}`) : '';
  if (!me) return;
  await transaction('readonly', (tx) => (staff ? renderTrainer(tx) : renderEnterprise(tx, me)));
}

async function renderAndStatus() {
  await render();
  await refreshStatus();
}

function wire() {
  document.documentElement.lang = lang;
  for (const element of document.querySelectorAll('[data-t]')) element.textContent = t(element.dataset.t);
  $('#lang').addEventListener('click', () => {
    localStorage.setItem('lang', lang === 'en' ? 'vi' : 'en');
    location.search = '';
  });
  $('#enroll').addEventListener('click', () => enrolWith($('#enroll-token').value));
  $('#enroll-scan').addEventListener('click', () => toggleCamera(async (text) => {
    await toggleCamera();
    $('#enroll-token').value = text;
    await enrolWith(text);
  }));
  $('#sync').addEventListener('click', runSync);
  $('#check').addEventListener('click', () => checkTicket($('#ticket').value));
  $('#ticket').addEventListener('keydown', (e) => { if (e.key === 'Enter') checkTicket($('#ticket').value); });
  $('#scan').addEventListener('click', () => toggleCamera((text) => checkTicket(text)));
  $('#walkin').addEventListener('click', walkIn);
  $('#annul').addEventListener('click', annulLast);
  $('#event').addEventListener('change', () => {
    localStorage.setItem('event', $('#event').value);
    renderAndStatus();
  });
  $('#questionnaire').addEventListener('change', renderAndStatus);
  $('#response').addEventListener('change', renderAndStatus);
  $('#save').addEventListener('click', saveAnswers);
  addEventListener('online', runSync);
  addEventListener('offline', refreshStatus);
}

async function start() {
  wire();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((error) => failed(error));
  }
  await renderAndStatus();
  if ((await enrolment()) && navigator.onLine) await runSync();
  document.body.dataset.ready = 'true';
}

start();
