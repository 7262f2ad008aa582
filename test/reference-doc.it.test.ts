import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchema } from '../src/schemas/schema-validator';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const DOC = join(__dirname, '..', 'docs', 'reference.md');
const CONFIG_DOC = join(__dirname, '..', 'docs', 'configuration.md');
const update = Boolean(process.env.UPDATE_EXAMPLES);

function between(text: string, start: string, end: string): [number, number] {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${start} … ${end} missing`);
  return [a + start.length, b];
}

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

interface SettingSchema {
  type?: string | string[];
  default?: unknown;
  enum?: unknown[];
  description?: string;
}

function configTable(): string {
  const props = loadSchema('config').properties as Record<string, SettingSchema>;
  const rows = Object.entries(props).map(([key, s]) => {
    const type = (Array.isArray(s.type) ? s.type : [s.type ?? '']).join(' or ');
    const values = s.enum ? ` One of ${s.enum.map((v) => code(String(v))).join(', ')}.` : '';
    const dflt = s.default === undefined ? '' : code(JSON.stringify(s.default));
    return `| ${code(key)} | ${type} | ${dflt} | ${cell((s.description ?? '') + values)} |`;
  });
  return ['', '| key | type | default | meaning |', '|---|---|---|---|', ...rows, ''].join('\n');
}

describe('docs/configuration.md and docs/reference.md', () => {
  it('configuration.md lists exactly the config schema, key by key', () => {
    const doc = readFileSync(CONFIG_DOC, 'utf8');
    const [a, b] = between(doc, '<!-- generated: config -->', '<!-- /generated: config -->');
    const table = configTable();
    if (update) writeFileSync(CONFIG_DOC, doc.slice(0, a) + table + doc.slice(b));
    expect(readFileSync(CONFIG_DOC, 'utf8').slice(a, a + table.length)).toBe(table);
    const documented = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(
      new Set(Object.keys(loadSchema('config').properties as object)),
    );
  });

  describe("reference.md's type mapping table", () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('refdoc');
      await db.query(`
        CREATE TYPE doc_mood AS ENUM ('sad', 'happy');
        CREATE DOMAIN doc_positive AS integer CHECK (VALUE > 0);
        CREATE TYPE doc_pair AS (a int, b text);`);
    });
    afterAll(async () => {
      await db.drop();
    });

    it('is what discovery and a sync produce for each example value', async () => {
      const doc = readFileSync(DOC, 'utf8');
      const [a, b] = between(doc, '<!-- verified: types -->', '<!-- /verified: types -->');
      const lines = doc.slice(a, b).trim().split('\n');
      const rows = lines.slice(2).map((l) => {
        const cells = l
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim().replace(/\\\|/g, '|'));
        const type = /^`([^`]+)`/.exec(cells[0]!)![1]!;
        const literal = /^`(.+)`$/.exec(cells[1]!)![1]!;
        return { line: l, cells, type, literal };
      });
      expect(rows.length).toBeGreaterThan(30);
      const cols = rows.map((r, i) => `c${i} ${r.type}`).join(', ');
      await db.query(`CREATE TABLE type_examples (id int PRIMARY KEY, ${cols})`);
      await db.query(
        `INSERT INTO type_examples VALUES (1, ${rows.map((r) => `(${r.literal})::${r.type}`).join(', ')})`,
      );
      const files = tempFiles();
      const config = files.write('config.json', db.config);
      const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
      const stream = discovered.streams.find(
        (s: { tap_stream_id: string }) => s.tap_stream_id === 'public-type_examples',
      );
      const catalog = files.write(
        'catalog.json',
        selectStreams(discovered, { 'public-type_examples': { method: 'FULL_TABLE' } }),
      );
      const r = await runTap(['--config', config, '--catalog', catalog]);
      expect(r.code).toBe(0);
      const [record] = records(parseMessages(r.stdout), 'public-type_examples');
      // The RECORD's own text, so that 9223372036854775807 is compared digit by digit.
      const raw = r.stdout.split('\n').find((l) => l.includes('"type":"RECORD"'))!;
      const rawValue = (i: number): string => {
        const start = raw.indexOf(`"c${i}":`) + `"c${i}":`.length;
        const next = i + 1 < rows.length ? raw.indexOf(`,"c${i + 1}":`) : raw.lastIndexOf('},"');
        return raw.slice(start, next);
      };
      const actual = rows.map((row, i) => ({
        schema: JSON.stringify(stream.schema.properties[`c${i}`]),
        value: rawValue(i),
      }));
      expect(record).toBeDefined();
      if (update) {
        const table = [
          ...lines.slice(0, 2),
          ...rows.map(
            (row, i) =>
              `| ${row.cells[0]} | ${row.cells[1]} | ${code(cell(actual[i]!.schema))} | ${code(cell(actual[i]!.value))} |`,
          ),
        ].join('\n');
        writeFileSync(DOC, `${doc.slice(0, a)}\n${table}\n${doc.slice(b)}`);
        return;
      }
      for (const [i, row] of rows.entries()) {
        const documented = {
          schema: /^`(.*)`$/.exec(row.cells[2]!)?.[1],
          value: /^`(.*)`$/.exec(row.cells[3]!)?.[1],
        };
        expect([row.type, row.literal, documented]).toEqual([row.type, row.literal, actual[i]]);
      }
    });
  });
});
