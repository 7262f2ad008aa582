import { typeError } from './errors';
import { dumpJson, parseJson, PYTHON_DUMPS, type DumpOptions } from './json-codec';
import {
  PyCallable,
  PyObject,
  pyShortTypeName,
  pyTruthy,
  PyTuple,
  type PyKwargs,
  type PyValue,
} from './py-value';

const DUMPS_KEYWORDS = new Set([
  'skipkeys',
  'ensure_ascii',
  'check_circular',
  'allow_nan',
  'cls',
  'indent',
  'separators',
  'default',
  'sort_keys',
]);

function dumpsOptions(kwargs: PyKwargs): DumpOptions {
  const o: DumpOptions = { ...PYTHON_DUMPS };
  if (kwargs === null) return o;
  for (const [k, v] of kwargs) {
    if (!DUMPS_KEYWORDS.has(k))
      throw typeError(`dumps() got an unexpected keyword argument '${k}'`);
    switch (k) {
      case 'ensure_ascii':
        o.ensureAscii = pyTruthy(v);
        break;
      case 'allow_nan':
        o.allowNan = pyTruthy(v);
        break;
      case 'sort_keys':
        o.sortKeys = pyTruthy(v);
        break;
      case 'indent':
        if (v === null) break;
        o.indent =
          typeof v === 'string'
            ? v
            : typeof v === 'bigint'
              ? ' '.repeat(Math.max(0, Number(v)))
              : null;
        if (o.indent === null)
          throw typeError(`indent must be an int or a str, not ${pyShortTypeName(v)}`);
        if (!kwargs.has('separators')) o.itemSeparator = ',';
        break;
      case 'separators': {
        const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
        if (
          items === null ||
          items.length !== 2 ||
          typeof items[0] !== 'string' ||
          typeof items[1] !== 'string'
        ) {
          throw typeError('separators must be a (item_separator, key_separator) pair of str');
        }
        o.itemSeparator = items[0];
        o.keySeparator = items[1];
        break;
      }
      case 'default':
        if (v !== null) {
          o.fallback = (x) => {
            if (!(v instanceof PyCallable))
              throw typeError(`'${pyShortTypeName(v)}' object is not callable`);
            return v.call([x], null);
          };
        }
        break;
      case 'cls':
        if (v !== null) throw typeError('json.dumps(cls=...) is not supported');
        break;
      default:
        break; // skipkeys and check_circular change nothing for str-keyed, acyclic values
    }
  }
  return o;
}

class JsonModule extends PyObject {
  readonly typeName = 'module';
  private readonly dumps = new PyCallable('dumps', (args, kwargs) => {
    if (args.length !== 1)
      throw typeError(`dumps() takes 1 positional argument but ${args.length} were given`);
    return dumpJson(args[0]!, dumpsOptions(kwargs));
  });
  private readonly loads = new PyCallable('loads', (args, kwargs) => {
    if (args.length !== 1)
      throw typeError(`loads() takes 1 positional argument but ${args.length} were given`);
    if (kwargs !== null && kwargs.size > 0)
      throw typeError('json.loads() keyword arguments are not supported');
    const s = args[0]!;
    if (typeof s !== 'string')
      throw typeError(`the JSON object must be str, bytes or bytearray, not ${pyShortTypeName(s)}`);
    return parseJson(s, false);
  });
  repr(): string {
    return "<module 'json'>";
  }
  override getAttr(name: string): PyValue | undefined {
    if (name === 'dumps') return this.dumps;
    if (name === 'loads') return this.loads;
    return undefined;
  }
}

export const jsonModule: PyObject = new JsonModule();
