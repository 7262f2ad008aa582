import { PassThrough } from 'node:stream';
import { copyOut } from './copy-out';

/** A protocol message: code, int32 length (itself included), body. */
const msg = (code: string, body: Buffer | string = '') => {
  const b = Buffer.from(body);
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
};

/**
 * The socket pieces in, what copyOut hands over out: the payloads, and the bytes given back to
 * pg's parser after CopyDone (or from an ErrorResponse on).
 */
async function feed(pieces: Buffer[]) {
  const stream = new PassThrough();
  const toPg: Buffer[] = [];
  stream.on('data', (b: Buffer) => toPg.push(b));
  const payloads: string[] = [];
  let query: { handleReadyForQuery(): void } | undefined;
  const client = {
    query(q: { submit(c: unknown): void; handleReadyForQuery(): void }) {
      query = q;
      q.submit({ stream, query: () => {} });
    },
  };
  const done = copyOut(
    client as never,
    'COPY x TO STDOUT',
    (b, s, e) => payloads.push(b.toString('latin1', s, e)),
    () => {},
  );
  for (const p of pieces) {
    stream.write(p);
    await new Promise((resolve) => setImmediate(resolve));
  }
  query!.handleReadyForQuery(); // pg would, after reading CommandComplete and ReadyForQuery
  await done;
  return { payloads, toPg: Buffer.concat(toPg).toString('latin1') };
}

describe('copyOut message walking', () => {
  const rows = ['1\ta\n', '22\tbb\n', '', `333\t${'c'.repeat(70)}\n`];
  const bytes = Buffer.concat([
    msg('H', Buffer.from([0, 0, 2, 0, 0, 0, 0])),
    msg('S', 'x\0y\0'),
    ...rows.map((r) => msg('d', r)),
    msg('c'),
    msg('C', 'COPY 4\0'),
    msg('Z', 'I'),
  ]);
  const tail = Buffer.concat([msg('C', 'COPY 4\0'), msg('Z', 'I')]).toString('latin1');

  it('gives every payload and the rest for pg, cut at any byte or two', async () => {
    for (let a = 1; a < bytes.length; a++) {
      const b = Math.min(bytes.length - 1, a + 3);
      const pieces =
        b > a
          ? [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]
          : [bytes.subarray(0, a), bytes.subarray(a)];
      const r = await feed(pieces);
      expect(r.payloads).toEqual(rows);
      expect(r.toPg).toBe(tail);
    }
  });

  it('hands an ErrorResponse to pg from its first byte', async () => {
    const err = msg('E', 'SERROR\0Mboom\0\0');
    const withError = Buffer.concat([
      msg('H', Buffer.from([0, 0, 0])),
      msg('d', 'x\n'),
      err,
      msg('Z', 'I'),
    ]);
    for (let a = 1; a < withError.length; a++) {
      const r = await feed([withError.subarray(0, a), withError.subarray(a)]);
      expect(r.payloads).toEqual(['x\n']);
      expect(r.toPg).toBe(Buffer.concat([err, msg('Z', 'I')]).toString('latin1'));
    }
  });
});
