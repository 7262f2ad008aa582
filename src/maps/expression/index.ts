/**
 * The stream-map expression language: the Python expression subset the Meltano SDK evaluates with
 * simpleeval, compiled once into closures and evaluated per record without `eval`.
 */
import { datetimeJsonText } from './datetime-module';
import { dumpJson, parseJson } from './json-codec';
import { PyObject, pyStr, type PyValue } from './py-value';

export { compileExpression, type Expression, type ExpressionScope } from './compiler';
export { ExpressionEvalError, ExpressionSyntaxError } from './errors';
export {
  pyEquals,
  pyRepr,
  pyStr,
  pyTruthy,
  pyTypeName,
  PyObject,
  PyTuple,
  type PyDict,
  type PyValue,
} from './py-value';
export { PyDate, PyDateTime, PyTimeDelta } from './datetime-module';
export { decimalToString, newDecimal, newSmallDecimal } from './py-decimal';

/**
 * A JSON document as the SDK's deserializer reads it: integers are int (bigint, any size), numbers
 * with a fraction or exponent are Decimal with their digits kept, objects keep their key order.
 */
export function pyFromJson(json: string): PyValue {
  return parseJson(json, true);
}

/**
 * The JSON the SDK's serializer writes for a value: compact, Decimal as its digits, NaN and the
 * infinities as null, datetimes in ISO form, other objects as str(). Non-ASCII characters are
 * written as UTF-8 like the rest of the tap's output (the SDK escapes them: the same JSON value).
 */
export function pyToJson(value: PyValue): string {
  return dumpJson(value, {
    ensureAscii: false,
    allowNan: true,
    nanAsNull: true,
    decimalAsNumber: true,
    sortKeys: false,
    indent: null,
    itemSeparator: ',',
    keySeparator: ':',
    fallback: (v) => (v instanceof PyObject ? (datetimeJsonText(v) ?? pyStr(v)) : pyStr(v)),
  });
}
