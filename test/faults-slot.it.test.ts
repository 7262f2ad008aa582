import { lastState, records, type Message } from './support/catalog-helpers';
import { faultFixture, sameRows, target, type FaultFixture } from './support/fault-fixture';
import { startTap, killLeftoverTaps } from './support/tap-process';

afterEach(killLeftoverTaps);

/**
 * Fault: the replication slot dropped, or advanced past the state's LSN by someone
 * else. Either loses changes for good: the tap says so (exit 1, how to copy again) before printing
 * any RECORD, and with `resnapshot_on_slot_loss` copies the table again under a new version, whose
 * ACTIVATE_VERSION lets the target shed rows deleted while the changes were lost.
 */

const run = async (f: FaultFixture, state: Message['value'], extra = {}) => {
  const tap = startTap(f.args(state ?? undefined, extra));
  const { code } = await tap.exited;
  return { code, messages: tap.messages, stderr: tap.stderr() };
};

describe('faults: the replication slot lost', () => {
  let compared = 0;
  afterAll(() => console.log(`slot loss: ${compared} rows compared, none lost`));

  it.each([
    [
      'dropped',
      (f: FaultFixture) => f.db.query('SELECT pg_drop_replication_slot($1)', [f.slotName]),
      /replication slot '\w+' does not exist but the state has an LSN/,
    ],
    [
      'advanced past the bookmark',
      (f: FaultFixture) =>
        f.db.query('SELECT pg_replication_slot_advance($1, pg_current_wal_lsn())', [f.slotName]),
      /replication slot '\w+' was confirmed to [0-9A-F]+\/[0-9A-F]+, past the state's LSN [0-9A-F]+\/[0-9A-F]+ for public-t/,
    ],
  ])(
    '%s: exit 1 with how to copy again; resnapshot_on_slot_loss copies again',
    async (_, lose, why) => {
      const f = await faultFixture('fs_slot', 'LOG_BASED', 300);
      try {
        const first = await run(f, undefined);
        expect(first.code).toBe(0);
        const state = lastState(first.messages)!;
        // Changes the slot will not deliver any more: inserts, updates and deletes.
        await f.insert(50);
        await f.update(7, 1);
        await f.remove(5, 2);
        await f.slotReleased();
        await lose(f);

        const refused = await run(f, state);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(why);
        expect(refused.stderr).toMatch(
          /set 'resnapshot_on_slot_loss': true, or remove the stream's bookmark from the state, to copy the table again/,
        );
        expect(records(refused.messages)).toEqual([]);

        const again = await run(f, state, { resnapshot_on_slot_loss: true });
        expect(again.code).toBe(0);
        expect(again.stderr).toMatch(/copies public-t again under a new version/);
        const versions = again.messages.filter((m) => m.type === 'ACTIVATE_VERSION');
        expect(versions).toHaveLength(1);
        expect(versions[0]!.version).not.toBe(state.bookmarks['public-t']!.version);
        const newState = lastState(again.messages)!;
        expect(newState.bookmarks['public-t']!.version).toBe(versions[0]!.version);
        compared += sameRows(target([...first.messages, ...again.messages]), await f.source());

        // And streaming goes on from there.
        await f.insert(5);
        await f.slotReleased();
        const next = await run(f, newState);
        expect(next.code).toBe(0);
        expect(records(next.messages)).toHaveLength(5);
        compared += sameRows(
          target([...first.messages, ...again.messages, ...next.messages]),
          await f.source(),
        );
      } finally {
        await f.drop();
      }
    },
  );
});
