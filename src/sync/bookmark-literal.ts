import { quoteLiteral } from '../db/quote';
import { RawJson, type BookmarkValue } from '../state/tap-state';

/**
 * A bookmark's text as PostgreSQL should read it back as the key column's type, or null when
 * there is none. A string fragment (what the key column's converter wrote: a timestamp, a text
 * key, `infinity`) is the text itself; a number keeps its digits exactly as they were printed, so
 * a bigint or a 40-digit numeric never passes through a float.
 */
export function bookmarkText(v: BookmarkValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof RawJson)) return String(v);
  const parsed = JSON.parse(v.json) as unknown;
  if (parsed === null) return null;
  return typeof parsed === 'string' ? parsed : v.json;
}

/**
 * The bookmark as an SQL string literal for `key >= <literal>`, or null when there is none. The
 * read goes through COPY, which takes no parameters. The literal is untyped, so PostgreSQL gives it
 * the key column's type, exactly as it typed the `$1` parameter the same comparison used to take:
 * the value is parsed by the column type's input function, never by the SQL parser.
 */
export function bookmarkLiteral(v: BookmarkValue | undefined): string | null {
  const text = bookmarkText(v);
  return text === null ? null : quoteLiteral(text);
}
