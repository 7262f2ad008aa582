import { registerSecret } from '../log/redact';
import { InputError } from '../errors';
import {
  compileExpression,
  ExpressionEvalError,
  ExpressionSyntaxError,
  pyFromJson,
  type PyValue,
} from './expression';
import { fnmatch } from './fnmatch';
import {
  ALIAS_OPTION,
  customStreamMap,
  ELSE_OPTION,
  isNullDef,
  passThroughMap,
  SOURCE_OPTION,
  type StreamMap,
  type StreamSource,
} from './stream-map';

/** `stream_maps` and `stream_map_config`, checked as far as they can be without a stream's schema. */
export interface StreamMapsConfig {
  /** Top-level `__else__: null`: streams no map names are left out of the output. */
  readonly removeUnmapped: boolean;
  /** The maps in config order, `__else__` taken out. */
  readonly maps: ReadonlyArray<readonly [string, MapDef]>;
  /** `config` in expressions. */
  readonly mapConfig: PyValue;
  /** The settings as given, which a map worker thread parses again (src/maps/map-worker.ts). */
  readonly source: { readonly streamMaps: unknown; readonly streamMapConfig: unknown };
}

/** null: the stream (or the streams the key matches) is removed from the output. */
type MapDef = Readonly<Record<string, unknown>> | null;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the settings' shape (everything the SDK's PluginMapper checks, and the type of every
 * option, which the SDK only finds when a stream uses it). Null when there are no maps.
 */
export function parseStreamMapsConfig(
  streamMaps: unknown,
  streamMapConfig: unknown,
): StreamMapsConfig | null {
  if (streamMaps === undefined || streamMaps === null) return null;
  if (!isObject(streamMaps)) {
    throw new InputError(
      `stream_maps: expected an object of stream names to maps, got ${JSON.stringify(streamMaps)}`,
    );
  }
  if (streamMapConfig !== undefined && streamMapConfig !== null && !isObject(streamMapConfig)) {
    throw new InputError(
      `stream_map_config: expected an object, got ${Array.isArray(streamMapConfig) ? 'an array' : typeof streamMapConfig}`,
    );
  }
  let removeUnmapped = false;
  const maps: Array<readonly [string, MapDef]> = [];
  for (const [key, def] of Object.entries(streamMaps)) {
    if (key === ELSE_OPTION) {
      if (!isNullDef(def)) {
        throw new InputError(
          `stream_maps: '${ELSE_OPTION}' supports only null or "__NULL__" (leave unmapped streams out), got ${JSON.stringify(def)}`,
        );
      }
      removeUnmapped = true;
      continue;
    }
    if (key.startsWith('__')) {
      throw new InputError(
        `stream_maps: option '${key}' is not expected at the top level (only '${ELSE_OPTION}')`,
      );
    }
    if (isNullDef(def)) {
      maps.push([key, null]);
      continue;
    }
    if (!isObject(def)) {
      throw new InputError(
        `stream_maps: stream '${key}': expected a map (an object), null or "__NULL__", got ${JSON.stringify(def)}`,
      );
    }
    for (const option of [SOURCE_OPTION, ALIAS_OPTION]) {
      if (option in def && typeof def[option] !== 'string') {
        throw new InputError(
          `stream_maps: stream '${key}', '${option}': expected a string, got ${JSON.stringify(def[option])}`,
        );
      }
    }
    maps.push([key, def]);
  }
  registerConfigSecrets(streamMapConfig);
  return {
    removeUnmapped,
    maps,
    mapConfig: pyFromJson(JSON.stringify(streamMapConfig ?? {})),
    source: { streamMaps, streamMapConfig },
  };
}

/**
 * An `__alias__` as the SDK evaluates it: an expression that may read `__stream_name__`; text that
 * names anything else (`customers_v2`, `public-users`) is the alias as written.
 */
export function evalAlias(text: string, streamName: string, key: string): string {
  const what = `stream_maps: stream '${key}', '${ALIAS_OPTION}'`;
  let value: PyValue;
  try {
    const expr = compileExpression(text);
    if ([...expr.names].some((n) => n !== '__stream_name__')) return text;
    value = expr.evaluate({
      lookup: (name) => (name === '__stream_name__' ? streamName : undefined),
    });
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) {
      throw new InputError(`${what}: ${JSON.stringify(text)} does not parse: ${e.message}`);
    }
    if (e instanceof ExpressionEvalError) {
      if (e.message.startsWith('NameError')) return text;
      throw new InputError(`${what}: ${JSON.stringify(text)} failed: ${e.message}`);
    }
    throw e;
  }
  if (typeof value !== 'string' || value === '') {
    throw new InputError(
      `${what}: ${JSON.stringify(text)} gives ${JSON.stringify(String(value))}, not a stream name (a non-empty string)`,
    );
  }
  return value;
}

/** What the maps make of one source stream. */
export interface StreamPlan {
  /** The output streams, in the SDK's order (the stream's own map first); empty when removed. */
  readonly outputs: readonly StreamMap[];
  /** True when the stream goes out unchanged under its own name: nothing to do per record. */
  readonly unmapped: boolean;
}

/** The SDK's `register_raw_stream_schema`: every map whose key (or `__source__`) matches the stream. */
export function planStream(config: StreamMapsConfig, source: StreamSource): StreamPlan {
  const name = source.streamName;
  let primary: StreamMap | null = config.removeUnmapped ? null : passThroughMap(source);
  const extra: StreamMap[] = [];
  for (const [key, value] of config.maps) {
    const def = value === null ? null : { ...value };
    let sourceStream = key;
    let alias = key;
    let isPrimary = true;
    if (def !== null) {
      if (SOURCE_OPTION in def) {
        sourceStream = def[SOURCE_OPTION] as string;
        delete def[SOURCE_OPTION];
        isPrimary = false;
      } else if (ALIAS_OPTION in def) {
        alias = evalAlias(def[ALIAS_OPTION] as string, name, key);
        delete def[ALIAS_OPTION];
      }
    }
    if (name !== sourceStream) {
      if (!fnmatch(name, sourceStream)) continue;
      if (alias === sourceStream) alias = name;
      sourceStream = name;
    }
    const map = def === null ? null : customStreamMap(source, alias, def);
    if (isPrimary) primary = map;
    else if (map) extra.push(map);
  }
  const outputs = primary ? [primary, ...extra] : extra;
  const unmapped = outputs.length === 1 && outputs[0]!.passThrough && outputs[0]!.alias === name;
  return { outputs, unmapped };
}

/**
 * stream_map_config is where a hash salt lives (`md5(config['salt'] + email)`), and an expression's
 * error may quote a value it read (`int(config['salt'])`): its texts of 8 characters or more never
 * reach the logs. Shorter ones are left alone, as masking them would blank out ordinary words.
 */
function registerConfigSecrets(value: unknown): void {
  if (typeof value === 'string') {
    if (value.length >= 8) registerSecret(value);
  } else if (Array.isArray(value)) {
    value.forEach(registerConfigSecrets);
  } else if (isObject(value)) {
    Object.values(value).forEach(registerConfigSecrets);
  }
}
