/**
 * A piece of JSON text, ready to be spliced into a RECORD line by the Singer writer. Values are
 * never materialised as JS numbers on their way out, which is how bigints and numerics keep every
 * digit (and why conversion allocates little more than the output string itself).
 *
 * A fragment never contains a raw line break: one message per line depends on it.
 */
export type JsonFragment = string;

export const JSON_NULL: JsonFragment = 'null';

/** Up to this length a JS scan beats the native call's fixed cost (measured on Node 20). */
const SCAN_MAX_LENGTH = 128;

/**
 * `s` as a JSON string literal. Short strings with nothing to escape (most column values) are
 * quoted after a char scan; anything else goes to V8's JSON.stringify, which is faster on long
 * strings and, since ES2019, escapes lone surrogates (`\udXXX`) instead of emitting invalid
 * UTF-8. U+2028 / U+2029 stay raw: they are valid JSON, and line readers split only on `\n` and
 * `\r`, which are escaped.
 *
 * @example jsonString('say "hi"\n') === '"say \\"hi\\"\\n"'
 */
export function jsonString(s: string): JsonFragment {
  const n = s.length;
  if (n > SCAN_MAX_LENGTH) return JSON.stringify(s);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // control characters, `"`, `\`, and surrogates, paired or not (JSON.stringify checks pairing)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s);
    }
  }
  return `"${s}"`;
}
