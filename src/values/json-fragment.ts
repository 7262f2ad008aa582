/**
 * A piece of JSON text, ready to be spliced into a RECORD line by the Singer writer. Values are
 * never materialised as JS numbers on their way out, which is how bigints and numerics keep every
 * digit (and why conversion allocates little more than the output string itself).
 *
 * A fragment never contains a raw line break: one message per line depends on it.
 */
export type JsonFragment = string;

export const JSON_NULL: JsonFragment = 'null';

/** What JSON.stringify would escape: control characters, `"`, `\`, and surrogates (paired or not). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * `s` as a JSON string literal. Strings with nothing to escape (most column values) are quoted
 * after one regular-expression scan (native code, about twice a JS char loop's speed); anything
 * else goes to V8's JSON.stringify, which since ES2019 escapes lone surrogates (`\udXXX`) instead
 * of emitting invalid UTF-8. U+2028 / U+2029 stay raw: they are valid JSON, and line readers split
 * only on `\n` and `\r`, which are escaped.
 *
 * @example jsonString('say "hi"\n') === '"say \\"hi\\"\\n"'
 */
export function jsonString(s: string): JsonFragment {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}
