import { SLOT_WAIT_TIMING, slotWaitMessage, slotWaitTiming } from './slot-creation-wait';

describe('slotWaitTiming', () => {
  it('is 5 s, then every 30 s, unless the tests shorten it', () => {
    expect(slotWaitTiming({})).toEqual(SLOT_WAIT_TIMING);
    expect(slotWaitTiming({ TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '1' })).toEqual({
      firstMs: 1000,
      everyMs: 1000,
    });
    expect(slotWaitTiming({ TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '0.5,2' })).toEqual({
      firstMs: 500,
      everyMs: 2000,
    });
    expect(slotWaitTiming({ TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: 'x' })).toEqual(
      SLOT_WAIT_TIMING,
    );
  });
});

describe('slotWaitMessage', () => {
  it('names the transaction it waits for', () => {
    expect(
      slotWaitMessage('s', 5200, [
        { pid: 42, database: 'db', state: 'idle in transaction', openSeconds: 12 },
      ]),
    ).toBe(
      "creating replication slot 's': waiting for 1 open transaction to finish (pid 42, database 'db', open for 12 s, idle in transaction); waited 5 s so far, and slot creation cannot complete before it ends",
    );
  });

  it('names three, counts the rest, and says what a role may not see', () => {
    const open = [
      { pid: null, database: 'db', state: "prepared transaction 'g'", openSeconds: 90 },
      { pid: 1, database: null, state: null, openSeconds: null },
      { pid: 2, database: 'db', state: 'active', openSeconds: 3 },
      { pid: 3, database: 'db', state: 'active', openSeconds: 1 },
    ];
    expect(slotWaitMessage('s', 31_000, open)).toBe(
      "creating replication slot 's': waiting for 4 open transactions to finish (prepared transaction 'g', database 'db', open for 90 s; pid 1; pid 2, database 'db', open for 3 s, active; and 1 more); waited 31 s so far, and slot creation cannot complete before they end",
    );
  });
});
