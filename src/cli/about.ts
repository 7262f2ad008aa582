import { loadSchema } from '../schemas/schema-validator';
import { PACKAGE } from './package-info';

export const CAPABILITIES = [
  'catalog',
  'discover',
  'state',
  'about',
  'activate-version',
  'log-based',
  'test',
  'stream-maps',
] as const;

export interface AboutInfo {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly capabilities: readonly string[];
  /** schemas/config.schema.json itself, so --about never drifts from what the tap validates. */
  readonly settings: Record<string, unknown>;
}

export function aboutInfo(): AboutInfo {
  return {
    name: PACKAGE.name,
    description: PACKAGE.description,
    version: PACKAGE.version,
    capabilities: CAPABILITIES,
    settings: loadSchema('config'),
  };
}

interface SettingSchema {
  type?: string | string[];
  default?: unknown;
  description?: string;
  enum?: unknown[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Meltano SDK's `--about --format markdown` layout: a heading, capabilities, a settings table. */
export function aboutMarkdown(info: AboutInfo): string {
  const props = (info.settings.properties ?? {}) as Record<string, SettingSchema>;
  const rows = Object.entries(props).map(([name, s]) => {
    const type = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? '');
    const values = s.enum ? ` One of: ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}.` : '';
    const dflt = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    return `| ${name} | ${type} | ${dflt} | ${cell((s.description ?? '') + values)} |`;
  });
  return [
    `# \`${info.name}\``,
    '',
    info.description,
    '',
    `Version: ${info.version}`,
    '',
    '## Capabilities',
    '',
    ...info.capabilities.map((c) => `* \`${c}\``),
    '',
    '## Settings',
    '',
    '| Setting | Type | Default | Description |',
    '|:--------|:-----|:--------|:------------|',
    ...rows,
    '',
    'A full list of supported settings and capabilities is available by running: `tap-postgres --about`',
    '',
  ].join('\n');
}
