import { PassThrough } from 'node:stream';
import { RuntimeError } from '../errors';
import { recordPrefix, recordSuffix, SingerWriter } from '../singer/writer';
import { parseStreamMapsConfig } from './stream-maps-config';
import type { RecordStep, RecordStepFactory } from './record-step';
import type { RecordView } from './record-view';
import { StreamMapper } from './stream-mapper';
import { putBytes, putString, type ByteSink } from '../values/byte-sink';

const START = {
  stream: 'public-t',
  schema: {
    type: 'object',
    properties: { id: { type: ['integer'] }, email: { type: ['null', 'string'] } },
  },
  keyProperties: ['id'],
  bookmarkProperties: [],
  version: 7,
};

async function output(
  maps: unknown,
  write: (w: SingerWriter) => void,
  steps: readonly RecordStepFactory[] = [],
): Promise<Array<Record<string, unknown>>> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const mapper = new StreamMapper(parseStreamMapsConfig(maps, {})!, steps);
  const w = new SingerWriter(out, JSON.stringify, { mapper });
  write(w);
  await w.flush();
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const brief = (msgs: Array<Record<string, unknown>>) =>
  msgs.map((m) =>
    m.type === 'RECORD'
      ? [m.type, m.stream, m.record, m.version]
      : m.type === 'SCHEMA'
        ? [m.type, m.stream, Object.keys((m.schema as { properties: object }).properties)]
        : [m.type, m.stream, m.version],
  );

describe('SingerWriter with stream maps', () => {
  const maps = {
    'public-t': { mail: 'email', email: null },
    copy: { __source__: 'public-t', __else__: null, id: 'id', __filter__: 'id > 1' },
  };

  it('sends each output its SCHEMA, RECORDs and ACTIVATE_VERSION', async () => {
    const msgs = await output(maps, (w) => {
      const out = w.beginStream(START);
      w.activateVersion('public-t', 7);
      out.record('"id":1,"email":"a"');
      out.record('"id":2,"email":null');
    });
    expect(brief(msgs)).toEqual([
      ['SCHEMA', 'public-t', ['id', 'mail']],
      ['SCHEMA', 'copy', ['id']],
      ['ACTIVATE_VERSION', 'public-t', 7],
      ['ACTIVATE_VERSION', 'copy', 7],
      ['RECORD', 'public-t', { id: 1, mail: 'a' }, 7],
      ['RECORD', 'public-t', { id: 2, mail: null }, 7],
      ['RECORD', 'copy', { id: 2 }, 7],
    ]);
  });

  it('maps whole RECORD lines (a parallel copy), keeping each line’s own end', async () => {
    const suffix = recordSuffix(7, '2024-01-01T00:00:00.000Z');
    const lines = Buffer.from(
      ['"id":1,"email":"a}b"', '"id":2,"email":"{\\"x"']
        .map((b) => `${recordPrefix('public-t')}${b}${suffix}`)
        .join(''),
    );
    let released = 0;
    const msgs = await output(maps, (w) => {
      w.beginStream(START).recordLines(lines, 2, () => released++);
    });
    expect(released).toBe(1);
    expect(brief(msgs).slice(2)).toEqual([
      ['RECORD', 'public-t', { id: 1, mail: 'a}b' }, 7],
      ['RECORD', 'public-t', { id: 2, mail: '{"x' }, 7],
      ['RECORD', 'copy', { id: 2 }, 7],
    ]);
    expect(msgs[2]!.time_extracted).toBe('2024-01-01T00:00:00.000Z');
  });

  it('a new version (LOG_BASED TRUNCATE) keeps the maps', async () => {
    const msgs = await output(maps, (w) => {
      w.beginStream(START).withVersion(8).record('"id":3,"email":"c"');
    });
    expect(brief(msgs).slice(2)).toEqual([
      ['RECORD', 'public-t', { id: 3, mail: 'c' }, 8],
      ['RECORD', 'copy', { id: 3 }, 8],
    ]);
  });

  it('an unmapped stream takes the writer’s own path; a removed one sends nothing', async () => {
    const msgs = await output({ 'public-t': null, other: {} }, (w) => {
      w.beginStream(START).record('"id":1,"email":"a"');
      w.activateVersion('public-t', 7);
      w.beginStream({ ...START, stream: 'public-u' }).record('"id":1,"email":"a"');
      w.activateVersion('public-u', 7);
    });
    expect(brief(msgs)).toEqual([
      ['SCHEMA', 'public-u', ['id', 'email']],
      ['RECORD', 'public-u', { id: 1, email: 'a' }, 7],
      ['ACTIVATE_VERSION', 'public-u', 7],
    ]);
  });

  it('a map that no longer fits a SCHEMA sent mid-run is a runtime error', async () => {
    await expect(
      output({ 'public-t': { mail: 'email' } }, (w) => {
        w.beginStream({ ...START, schema: { type: 'object', properties: { id: {} } } });
      }),
    ).rejects.toThrow(RuntimeError);
  });

  it('a SCHEMA sent again (a LOG_BASED shape change) is mapped again', async () => {
    const wider = {
      ...START,
      schema: {
        type: 'object',
        properties: { ...START.schema.properties, extra: { type: ['null', 'number'] } },
      },
    };
    const msgs = await output({ 'public-t': { mail: 'email', email: null } }, (w) => {
      w.beginStream(START).record('"id":1,"email":"a"');
      w.beginStream(wider).record('"id":2,"email":"b","extra":1.50');
    });
    expect(brief(msgs)).toEqual([
      ['SCHEMA', 'public-t', ['id', 'mail']],
      ['RECORD', 'public-t', { id: 1, mail: 'a' }, 7],
      ['SCHEMA', 'public-t', ['id', 'extra', 'mail']],
      ['RECORD', 'public-t', { id: 2, extra: 1.5, mail: 'b' }, 7],
    ]);
  });

  it('appended stages (e.g. flattening) run after the map, on every output, unmapped streams too', async () => {
    /** A stage that adds `"alias": <output name>` after the body the map wrote. */
    const tag = (name: string): RecordStep => {
      let view: RecordView;
      return {
        schema: (before) => ({
          ...before,
          properties: { ...(before.properties as object), alias: { type: ['string'] } },
        }),
        prepare: (v) => ((view = v), true),
        writeBody: (sink: ByteSink) => {
          putBytes(sink, view.buf.subarray(0, view.entries.valueEnds[view.entries.n - 1]));
          putString(sink, `,"alias":${JSON.stringify(name)}`);
        },
      };
    };
    const msgs = await output(
      { copy: { __source__: 'public-t', __else__: null, id: 'id' } },
      (w) => {
        w.beginStream(START).record('"id":1,"email":"a"');
      },
      [(m) => tag(m.alias)],
    );
    expect(brief(msgs)).toEqual([
      ['SCHEMA', 'public-t', ['id', 'email', 'alias']],
      ['SCHEMA', 'copy', ['id', 'alias']],
      ['RECORD', 'public-t', { id: 1, email: 'a', alias: 'public-t' }, 7],
      ['RECORD', 'copy', { id: 1, alias: 'copy' }, 7],
    ]);
  });
});
