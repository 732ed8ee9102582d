// The one write path of the phone: a local change becomes an op of this device's actor with
// the next sequence number, applied to the replica and queued in the outbox in the same
// transaction; a pulled page is applied with its cursor in one transaction. Values are checked
// with the protocol's value rules before anything is queued, as the server will check them.

import { Doc } from './doc.js';
import { transaction } from './store.js';
import { checkShape, checkValues } from './wire.js';

/** What enrolment gave this phone, or null. */
export async function enrolment() {
  return transaction('readonly', (tx) => tx.meta('enrolment'));
}

/** An error the user made (a value refused by the rules), shown as it is. */
export class Refused extends Error {}

/**
 * Runs one local action: `work(action)` may call `action.write(kind, id, fields)` and
 * `action.fact(kind, id, change)` (each one op) and read the replica through `action.tx`.
 * Everything it does lands together or not at all.
 */
export async function act(work) {
  return transaction('readwrite', async (tx) => {
    const me = await tx.meta('enrolment');
    if (!me) throw new Refused('not enrolled');
    let seq = (await tx.meta('next_seq')) ?? 1;
    const queue = async (kind, record, change) => {
      const op = { actor: me.actor_id, seq, kind, record, change };
      const fault = checkShape(op) ?? checkValues(op);
      if (fault) throw new Refused(`${fault.field ?? kind}: ${fault.message ?? 'invalid'}`);
      await tx.queue(op);
      seq += 1;
      await tx.setMeta('next_seq', seq);
      return op;
    };
    const action = {
      tx,
      me,
      async write(kind, id, fields) {
        const doc = (await tx.doc(kind, id)) ?? new Doc();
        const edit = doc.write(me.actor_id, seq, fields);
        const op = await queue(kind, id, { edit });
        await tx.saveDoc(kind, id, doc);
        return op;
      },
      async fact(kind, id, change) {
        const op = await queue(kind, id, change);
        await tx.addFact(kind, id, change);
        return op;
      },
    };
    return work(action);
  });
}

/** Applies a pulled page and moves the cursor, in one transaction. */
export async function applyPage(page) {
  await transaction('readwrite', async (tx) => {
    for (const arrival of page.arrived) {
      const doc = (await tx.doc(arrival.kind, arrival.record)) ?? new Doc();
      doc.merge(arrival.state);
      await tx.saveDoc(arrival.kind, arrival.record, doc);
    }
    const touched = new Map();
    for (const op of page.ops) {
      if (op.change.edit) {
        const key = `${op.kind}/${op.record}`;
        if (!touched.has(key)) {
          touched.set(key, { op, doc: (await tx.doc(op.kind, op.record)) ?? new Doc() });
        }
        touched.get(key).doc.apply(op.actor, op.seq, op.change.edit);
      } else {
        await tx.addFact(op.kind, op.record, op.change);
      }
    }
    for (const { op, doc } of touched.values()) {
      if (!page.left.includes(op.record)) await tx.saveDoc(op.kind, op.record, doc);
    }
    for (const id of page.left) {
      for (const kind of ['facility', 'person', 'registration', 'response']) await tx.dropDoc(kind, id);
      for (const kind of ['scan', 'annulment']) await tx.dropFact(kind, id);
    }
    if (page.ticketKeys.length > 0) await tx.setMeta('ticket_keys', page.ticketKeys);
    await tx.setMeta('cursor', page.next);
  });
}

/** Drops acknowledged ops and records the server's rejections, in one transaction. */
export async function acknowledge(through, rejected) {
  await transaction('readwrite', async (tx) => {
    await tx.dropThrough(through);
    if (rejected.length > 0) {
      const kept = (await tx.meta('rejections')) ?? [];
      await tx.setMeta('rejections', kept.concat(rejected));
    }
  });
}
