import { conversionError, type ConversionContext, type TextConverter } from './conversion-context';
import { JSON_NULL, jsonString, type JsonFragment } from './json-fragment';
import { ValueConversionError } from './value-conversion-error';

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_LPAREN = 0x28;
const CH_RPAREN = 0x29;
const CH_COMMA = 0x2c;

/** Why a text is not a row literal; the caller names the column and the type. */
export class RowLiteralError extends Error {}

/**
 * A composite value with more fields than its type's attributes as the run read them: the type
 * changed in between (an attribute added while streaming, or one dropped after the change was
 * written). LOG_BASED copies the stream again, with the type as it is then, instead of failing.
 */
export class CompositeFieldsError extends ValueConversionError {}

/**
 * The fields of a row literal as record_out prints it: `(1,"a b",,"")` → `['1', 'a b', null, '']`.
 *
 * - Fields are separated by commas between one pair of parentheses.
 * - A field with nothing in it is NULL; an empty string is printed as `""`.
 * - A field is double-quoted when it is empty or holds a quote, a backslash, a parenthesis, a
 *   comma or white space; inside quotes a quote is doubled (`""`) and a backslash too (`\\`).
 * - record_in's looser input is read as well: a backslash escapes the next character outside
 *   quotes too, and quoted and unquoted parts may alternate within one field (`a"b,c"d`).
 *
 * A row of no fields and a row of one NULL field print alike (`()`): `fields` says which.
 */
export function parseRowLiteral(text: string, fields: number): (string | null)[] {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== CH_LPAREN) throw new RowLiteralError('expected `(`');
  if (fields === 0) {
    if (text !== '()') throw new RowLiteralError('a row of no fields is `()`');
    return [];
  }
  const out: (string | null)[] = [];
  let pos = 1;
  for (;;) {
    let value = '';
    let seen = false;
    let segment = pos;
    let inQuotes = false;
    for (;;) {
      if (pos >= n) throw new RowLiteralError(inQuotes ? 'unterminated quote' : 'expected `)`');
      const c = text.charCodeAt(pos);
      if (inQuotes) {
        if (c === CH_QUOTE) {
          if (text.charCodeAt(pos + 1) === CH_QUOTE) {
            value += text.slice(segment, pos + 1);
            pos += 2;
            segment = pos;
            continue;
          }
          value += text.slice(segment, pos);
          inQuotes = false;
          pos++;
          segment = pos;
          continue;
        }
      } else if (c === CH_COMMA || c === CH_RPAREN) {
        break;
      } else if (c === CH_QUOTE) {
        value += text.slice(segment, pos);
        inQuotes = true;
        seen = true;
        pos++;
        segment = pos;
        continue;
      }
      if (c === CH_BACKSLASH) {
        if (pos + 1 >= n) throw new RowLiteralError('a backslash at the end');
        value += text.slice(segment, pos);
        pos++;
        segment = pos;
      }
      seen = true;
      pos++;
    }
    value += text.slice(segment, pos);
    out.push(seen ? value : null);
    const c = text.charCodeAt(pos);
    pos++;
    if (c === CH_RPAREN) break;
  }
  if (pos !== n) throw new RowLiteralError('text after the closing `)`');
  return out;
}

/** One attribute of a composite, with the converter of its type. */
export interface AttributeConverter {
  readonly name: string;
  readonly convert: TextConverter;
}

/**
 * A composite value → a JSON object of its attributes, each field through its attribute type's
 * own converter, so nested composites, arrays, numerics and timestamps come out exactly as
 * columns of those types do.
 *
 * A value with another number of fields than the type has attributes was printed with the type
 * as it was at another time (logical decoding prints a change with the type of its moment): an
 * ADD ATTRIBUTE since leaves the last fields missing, but a DROP ATTRIBUTE leaves any one missing,
 * and the two look alike. Neither can be named safely, so the conversion fails with
 * CompositeFieldsError and LOG_BASED copies the stream again instead of shifting values into
 * other attributes' names.
 */
export function compositeConverter(
  attributes: readonly AttributeConverter[],
  ctx: ConversionContext,
): TextConverter {
  const keys = attributes.map((a, i) => `${i === 0 ? '' : ','}${jsonString(a.name)}:`);
  const n = attributes.length;
  return (t) => {
    if (t === null) return JSON_NULL;
    let fields: (string | null)[];
    try {
      // One NULL field and no field print alike: a type with attributes reads `()` as the former.
      fields = parseRowLiteral(t, n);
    } catch (e) {
      if (e instanceof RowLiteralError)
        throw conversionError(ctx, t, `a row literal: ${e.message}`);
      throw e;
    }
    if (fields.length !== n) {
      throw new CompositeFieldsError(
        ctx.sqlType,
        t,
        `a row literal of ${n} fields: the type's attributes changed after the run read them`,
      );
    }
    let body: JsonFragment = '{';
    for (let i = 0; i < n; i++) body += keys[i]! + attributes[i]!.convert(fields[i]!);
    return `${body}}`;
  };
}
