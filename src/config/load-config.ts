import { InputError } from '../errors';
import { readJsonFile } from '../io/read-json-file';
import type { Logger } from '../log/logger';
import { registerSecret } from '../log/redact';
import { assertValid, loadSchema } from '../schemas/schema-validator';
import { parseConnectionUrl } from './connection-url';
import { normalizeConfig, ORCHESTRATOR_KEYS } from './normalize-config';
import type { TapConfig } from './tap-config';

/** `--config ENV` reads every setting from `TAP_POSTGRES_<KEY>` (the Meltano SDK's convention). */
export const ENV_SOURCE = 'ENV';
export const ENV_PREFIX = 'TAP_POSTGRES_';

function settingNames(): string[] {
  return Object.keys(loadSchema('config').properties as Record<string, unknown>);
}

/** Values stay strings: the schema accepts numeric and boolean strings, and a comma list. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of settingNames()) {
    const v = env[ENV_PREFIX + key.toUpperCase()];
    if (v === undefined) continue;
    if (OBJECT_SETTINGS.has(key)) out[key] = parseJsonObject(v, key);
    else out[key] = key === 'filter_schemas' && v.trim().startsWith('[') ? parseJsonList(v) : v;
  }
  return out;
}

/** Settings whose value is an object: from the environment, JSON text. */
const OBJECT_SETTINGS: ReadonlySet<string> = new Set([
  'stream_maps',
  'stream_map_config',
  'faker_config',
]);

function parseJsonObject(v: string, key: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new InputError(
      `${ENV_PREFIX}${key.toUpperCase()} is not valid JSON (an object expected)`,
    );
  }
}

function parseJsonList(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new InputError(`${ENV_PREFIX}FILTER_SCHEMAS is not a valid JSON array; use a comma list`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface LoadedConfig {
  readonly config: TapConfig;
  /** The merged document as given (for --about and diagnostics); contains secrets, never log it. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * `sqlalchemy_url` (MeltanoLabs tap-postgres's setting; any libpq URL) fills the connection keys
 * the config does not give itself: a key in the config wins over the URL's, so a URL can be
 * shared and a password kept apart (`--config ENV`, TAP_POSTGRES_PASSWORD).
 */
function takeUrl(merged: Record<string, unknown>, url: string, log: Logger): void {
  registerSecret(url);
  const { settings, ignored } = parseConnectionUrl(url);
  registerSecret(settings.password);
  for (const key of ignored) {
    log.warn(`sqlalchemy_url: parameter '${key}' has no meaning for tap-postgres; ignored`);
  }
  const ours: Record<string, string> = { user: 'username', dbname: 'database' };
  for (const [key, value] of Object.entries(settings)) {
    const given = merged[key] !== undefined || (ours[key] && merged[ours[key]] !== undefined);
    if (!given) merged[key] = value;
  }
}

/**
 * Reads `--config` sources left to right (later keys win), validates the merge against
 * schemas/config.schema.json and normalises it. Unknown keys are a warning (orchestrators add
 * their own), wrong types an error.
 */
export function loadConfig(
  sources: readonly string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
): LoadedConfig {
  const merged: Record<string, unknown> = {};
  for (const src of sources) {
    const doc = src === ENV_SOURCE ? configFromEnv(env) : readJsonFile(src, 'config');
    if (!isPlainObject(doc)) throw new InputError(`config file ${src}: must be a JSON object`);
    Object.assign(merged, doc);
  }
  if (typeof merged.sqlalchemy_url === 'string') takeUrl(merged, merged.sqlalchemy_url, log);
  registerSecret(typeof merged.password === 'string' ? merged.password : undefined);
  registerSecret(typeof merged.ssl_key === 'string' ? merged.ssl_key : undefined);
  const what = `config (${sources.join(', ')})`;
  if (merged.database === undefined && merged.dbname === undefined) {
    throw new InputError(`${what}: missing required key 'database' (or its alias 'dbname')`);
  }
  if (merged.username === undefined && merged.user === undefined) {
    throw new InputError(`${what}: missing required key 'username' (or its alias 'user')`);
  }
  assertValid('config', merged, what);
  const known = new Set(settingNames());
  for (const key of Object.keys(merged)) {
    if (!known.has(key) && !ORCHESTRATOR_KEYS.has(key)) {
      log.warn(`config key '${key}' is not a tap-postgres setting; ignored`);
    }
  }
  try {
    const config = normalizeConfig(merged);
    // A key given as a path is secret too once read.
    registerSecret(config.ssl?.key);
    return { config, raw: Object.freeze({ ...merged }) };
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError(`${what}: ${e.message.replace(/^config:? ?/, '')}`);
    throw e;
  }
}
