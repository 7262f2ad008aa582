import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ALIASES } from '../src/config/normalize-config';
import { meltanoExtractor, type MeltanoExtractor } from '../src/meltano/plugin-definition';
import { runTap } from './support/run-tap';

const FILE = join(__dirname, '..', 'meltano', 'meltano.yml');
const HEADER = `# Meltano plugin definition of tap-postgres, generated from \`tap-postgres --about\`
# (test/meltano.test.ts fails when the two differ; UPDATE_EXAMPLES=1 npx jest test/meltano.test.ts
# rewrites it). Copy the extractor into your project's meltano.yml; see docs/meltano.md.
`;

interface Property {
  type: unknown;
  default?: unknown;
  description: string;
  properties?: Record<string, Property>;
}

interface About {
  name: string;
  capabilities: string[];
  settings: { properties: Record<string, Property> };
}

/** The settings with an object's keys as `object.key`, as meltano.yml lists them. */
function flat(a: About): Record<string, Property> {
  return Object.fromEntries(
    Object.entries(a.settings.properties).flatMap(([name, p]) =>
      p.type === 'object' && p.properties
        ? Object.entries(p.properties).map(([sub, q]) => [`${name}.${sub}`, q])
        : [[name, p]],
    ),
  );
}

async function about(): Promise<About> {
  const r = await runTap(['--about', '--format', 'json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as About;
}

function definedExtractor(): MeltanoExtractor {
  const doc = parse(readFileSync(FILE, 'utf8')) as { plugins: { extractors: MeltanoExtractor[] } };
  return doc.plugins.extractors[0]!;
}

describe('meltano/meltano.yml', () => {
  it('is what --about generates', async () => {
    const generated = meltanoExtractor((await about()) as never);
    if (process.env.UPDATE_EXAMPLES) {
      writeFileSync(
        FILE,
        HEADER + stringify({ version: 1, plugins: { extractors: [generated] } }, { lineWidth: 0 }),
      );
    }
    expect(definedExtractor()).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it('declares exactly the settings and capabilities of --about', async () => {
    const a = await about();
    const ext = definedExtractor();
    expect(ext.executable).toBe('tap-postgres');
    expect(new Set(ext.capabilities)).toEqual(new Set(a.capabilities));
    expect(ext.capabilities).toEqual(expect.arrayContaining(['log-based', 'discover', 'state']));
    expect(new Set(ext.settings.map((s) => s.name))).toEqual(new Set(Object.keys(flat(a))));
    for (const s of ext.settings) {
      const p = flat(a)[s.name]!;
      expect(s.description).toBe(p.description);
      expect(s.description.length).toBeGreaterThan(0);
      // Defaults Meltano would pass where the tap must not get them: sub-keys of an object
      // setting and settings with an alias (see plugin-definition.ts).
      const withheld = s.name.includes('.') || ALIASES.flat().includes(s.name);
      expect(s.value).toEqual(withheld ? undefined : p.default);
    }
    // A config Meltano makes of the defaults alone validates: no half-made batch_config.
    const defaults: Record<string, unknown> = {};
    for (const s of ext.settings) if (s.value !== undefined) defaults[s.name] = s.value;
    expect(Object.keys(defaults).filter((k) => k.includes('.'))).toEqual([]);
    expect(defaults).not.toHaveProperty('max_run_seconds');
    expect(defaults).not.toHaveProperty('logical_poll_total_seconds');
    const kind = (n: string) => ext.settings.find((s) => s.name === n)?.kind;
    expect(kind('password')).toBe('password');
    expect(kind('port')).toBe('integer');
    expect(kind('break_at_end_lsn')).toBe('boolean');
    expect(kind('ack_mode')).toBe('options');
    expect(kind('filter_schemas')).toBe('array');
    expect(kind('ssh_tunnel.enable')).toBe('boolean');
    expect(kind('ssh_tunnel.private_key')).toBe('password');
    expect(kind('ssh_tunnel.private_key_password')).toBe('password');
  });

  it('validates settings groups as the config schema requires them', () => {
    expect(definedExtractor().settings_group_validation).toEqual([
      ['database', 'username'],
      ['database', 'user'],
      ['dbname', 'username'],
      ['dbname', 'user'],
      ['sqlalchemy_url'],
    ]);
  });
});

describe('--about', () => {
  it('documents every setting with a type and a description, and the tap itself', async () => {
    const a = await about();
    expect(a).toMatchObject({ name: 'tap-postgres', version: expect.any(String) });
    expect(a.capabilities).toEqual(
      expect.arrayContaining(['catalog', 'discover', 'state', 'about', 'log-based', 'test']),
    );
    for (const [name, p] of Object.entries(a.settings.properties)) {
      expect([name, typeof p.description, p.type !== undefined]).toEqual([name, 'string', true]);
    }
  });

  it('--format markdown lists every setting in its table', async () => {
    const a = await about();
    const md = (await runTap(['--about', '--format', 'markdown'])).stdout;
    for (const name of Object.keys(a.settings.properties)) expect(md).toContain(`| ${name} |`);
    expect(md).toContain('* `log-based`');
  });
});
