import type { ReplicationMethod } from '../config/tap-config';
import { InputError } from '../errors';
import { readJsonFile } from '../io/read-json-file';
import { discardReason } from './bookmark-discard';
import { assertValid } from '../schemas/schema-validator';
import { parseExactJson } from './exact-json';
import { RawJson } from './raw-json';

export { RawJson };

export type BookmarkValue = string | number | boolean | null | RawJson;

/** One stream's bookmark (pipelinewise-compatible keys). */
export interface Bookmark {
  readonly last_replication_method?: ReplicationMethod;
  readonly version?: number | null;
  readonly xmin?: number | string | null;
  readonly replication_key?: string | null;
  readonly replication_key_value?: BookmarkValue;
  readonly lsn?: number | null;
  /** FULL_TABLE resume point of an interrupted run: the last primary key emitted. */
  readonly last_pk_fetched?: Readonly<Record<string, BookmarkValue>> | null;
  readonly [other: string]: unknown;
}

export interface TapState {
  readonly currently_syncing: string | null;
  readonly bookmarks: Readonly<Record<string, Bookmark>>;
}

export const EMPTY_STATE: TapState = Object.freeze({ currently_syncing: null, bookmarks: {} });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Meltano keeps a state as `{"singer_state": value}` (`meltano state get` prints that form), and
 * its state backends store `{"completed": {"singer_state": value}, "partial": {…}}`. Neither has
 * `bookmarks` of its own, so read as it is every stream would silently start over.
 */
function unwrapMeltano(doc: unknown): unknown {
  if (!isObject(doc) || 'bookmarks' in doc) return doc;
  if ('singer_state' in doc) return doc.singer_state;
  if (isObject(doc.completed) && 'singer_state' in doc.completed) return doc.completed.singer_state;
  return doc;
}

/**
 * Accepts a state value, a whole STATE message (what `tail -1` of a previous run's output
 * gives) or Meltano's `{"singer_state": …}`, from this tap, pipelinewise, singer-io or MeltanoLabs.
 */
export function parseState(doc: unknown, what: string): TapState {
  const message = isObject(doc) && doc.type === 'STATE' && 'value' in doc ? doc.value : doc;
  const value = unwrapMeltano(message);
  if (!isObject(value)) throw new InputError(`${what}: must be a JSON object`);
  assertValid('state', value, what);
  return Object.freeze({
    ...value,
    currently_syncing: (value.currently_syncing as string | null | undefined) ?? null,
    bookmarks: Object.freeze({ ...((value.bookmarks as Record<string, Bookmark>) ?? {}) }),
  });
}

export function loadState(path: string | undefined): TapState {
  if (path === undefined) return EMPTY_STATE;
  return parseState(readJsonFile(path, 'state', parseExactJson), `state file ${path}`);
}

/**
 * The bookmark a stream resumes from. A changed replication method or key starts over
 * (bookmark-discard.ts); MeltanoLabs' LOG_BASED form (`_sdc_lsn`) becomes `lsn`.
 */
export function bookmarkFor(
  state: TapState,
  streamId: string,
  method: ReplicationMethod,
  replicationKey: string | null,
): Bookmark {
  const b = state.bookmarks[streamId];
  if (!b) return {};
  if (b.replication_key === '_sdc_lsn' && method === 'LOG_BASED') {
    const lsn = Number(
      b.replication_key_value instanceof RawJson
        ? b.replication_key_value.json
        : b.replication_key_value,
    );
    return {
      last_replication_method: 'LOG_BASED',
      version: b.version ?? null,
      lsn: Number.isFinite(lsn) ? lsn : null,
    };
  }
  return discardReason(b, method, replicationKey) === null ? b : {};
}

/** JSON.stringify, except that RawJson values are printed exactly as they came. */
export function serializeState(value: unknown): string {
  if (value instanceof RawJson) return value.json;
  if (Array.isArray(value))
    return `[${value.map((v) => serializeState(v === undefined ? null : v)).join(',')}]`;
  if (isObject(value)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) parts.push(`${JSON.stringify(k)}:${serializeState(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
