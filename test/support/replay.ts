import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from './catalog-helpers';

export type Row = Record<string, unknown>;
/** Per stream, the rows a target holds, keyed by the JSON of their key values. */
export type Held = Map<string, Map<string, Row>>;

/** A row without the tap's own `_sdc_*` columns: the source has no such columns to compare with. */
export function withoutSdc(record: Row): Row {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !k.startsWith('_sdc_')));
}

const keyOf = (row: Row, key: readonly string[]) => JSON.stringify(key.map((k) => row[k] ?? null));

/**
 * What a keyed, version-aware target holds after applying `msgs` in order, per stream: upsert by
 * the stream's `key_properties` (from its last SCHEMA), delete on a non-null `_sdc_deleted_at`,
 * and on ACTIVATE_VERSION drop the rows written under an older version (how a re-copied or
 * truncated table sheds rows the copy no longer has).
 */
export function replay(msgs: readonly Message[]): Held {
  const held: Held = new Map();
  const keys = new Map<string, readonly string[]>();
  const versions = new Map<string, Map<string, number | undefined>>();
  const rowsOf = (stream: string) => {
    let rows = held.get(stream);
    if (!rows) held.set(stream, (rows = new Map()));
    let v = versions.get(stream);
    if (!v) versions.set(stream, (v = new Map()));
    return { rows, v };
  };
  for (const m of msgs) {
    const stream = m.stream;
    if (stream === undefined) continue;
    if (m.type === 'SCHEMA') {
      keys.set(stream, (m.key_properties as string[] | undefined) ?? []);
      rowsOf(stream);
    } else if (m.type === 'ACTIVATE_VERSION') {
      const { rows, v } = rowsOf(stream);
      for (const [k, version] of v) {
        if (version !== undefined && m.version !== undefined && version < m.version) {
          rows.delete(k);
          v.delete(k);
        }
      }
    } else if (m.type === 'RECORD') {
      const { rows, v } = rowsOf(stream);
      const record = m.record!;
      const k = keyOf(record, keys.get(stream) ?? []);
      if (record._sdc_deleted_at !== undefined && record._sdc_deleted_at !== null) {
        rows.delete(k);
        v.delete(k);
      } else {
        rows.set(k, withoutSdc(record));
        v.set(k, m.version);
      }
    }
  }
  return held;
}

/**
 * How `target` differs from `source` (both as `replay` builds them; the source from a FULL_TABLE
 * copy of the tables as they are now). Only the source's columns are compared: a column the target
 * still has but the table no longer has (dropped, renamed) is what any target keeps, and a column
 * absent from a target row reads as null there, as targets set missing fields. Returns one line
 * per difference, at most `limit`.
 */
export function compareHeld(source: Held, target: Held, limit = 20): string[] {
  const out: string[] = [];
  const say = (line: string) => {
    if (out.length < limit) out.push(line);
  };
  for (const [stream, rows] of source) {
    const held = target.get(stream) ?? new Map<string, Row>();
    for (const [k, row] of rows) {
      const got = held.get(k);
      if (!got) {
        say(`${stream} ${k}: missing from the target (source ${JSON.stringify(row)})`);
        continue;
      }
      for (const [col, want] of Object.entries(row)) {
        const have = got[col] ?? null;
        if (JSON.stringify(have) !== JSON.stringify(want ?? null))
          say(`${stream} ${k}.${col}: target ${brief(have)}, source ${brief(want)}`);
      }
    }
    for (const [k, row] of held) {
      if (!rows.has(k)) say(`${stream} ${k}: ghost row in the target ${brief(row)}`);
    }
  }
  return out;
}

function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s;
}

/**
 * Checks each RECORD against the last SCHEMA of its stream before it, across runs (`validators`
 * carries them from one call to the next). `multipleOf` is left out: ajv divides floats, which
 * real targets do not (see sync-values.it.test.ts).
 */
export class SchemaChecker {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly validators = new Map<string, ValidateFunction>();

  violations(msgs: readonly Message[], limit = 10): string[] {
    const out: string[] = [];
    for (const m of msgs) {
      if (m.type === 'SCHEMA') {
        this.validators.set(m.stream!, this.ajv.compile(stripMultipleOf(m.schema!)));
      } else if (m.type === 'RECORD' && out.length < limit) {
        const v = this.validators.get(m.stream!);
        if (!v) out.push(`${m.stream}: RECORD before any SCHEMA`);
        else if (!v(m.record))
          out.push(
            `${m.stream}: ${brief(withoutSdc(m.record!))} breaks its SCHEMA: ${this.ajv.errorsText(v.errors)}`,
          );
      }
    }
    return out;
  }
}

function stripMultipleOf(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  for (const p of Object.values((copy.properties ?? {}) as Record<string, Row>))
    delete p.multipleOf;
  return copy;
}
