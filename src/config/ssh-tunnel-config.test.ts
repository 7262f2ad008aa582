import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { InputError } from '../errors';
import { clearSecrets, redact } from '../log/redact';
import { configFromEnv } from './load-config';
import { normalizeConfig } from './normalize-config';
import { sshTunnelOf } from './ssh-tunnel-config';

const plain = utils.generateKeyPairSync('ed25519').private;
const encrypted = utils.generateKeyPairSync('ed25519', {
  passphrase: 'correct horse',
  cipher: 'aes256-cbc',
  rounds: 8,
}).private;
const base = { enable: true, host: 'bastion', username: 'etl', private_key: plain };

function problem(v: unknown): string {
  try {
    sshTunnelOf(v);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('ssh_tunnel settings', () => {
  afterEach(() => clearSecrets());

  it.each([
    ['absent', undefined],
    ['disabled', { ...base, enable: false }],
    ['disabled as a string', { ...base, enable: 'false' }],
    ['enable missing', { host: 'bastion' }],
  ])('%s: no tunnel', (_, v) => {
    expect(sshTunnelOf(v)).toBeNull();
  });

  it('takes the SDK shape, port 22 by default', () => {
    expect(sshTunnelOf(base)).toEqual({
      host: 'bastion',
      port: 22,
      username: 'etl',
      privateKey: plain,
      passphrase: undefined,
      hostKeyFingerprint: undefined,
    });
    expect(sshTunnelOf({ ...base, enable: 'true', port: '2222' })?.port).toBe(2222);
  });

  it('reads a key from a file and keeps it secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tap-ssh-'));
    writeFileSync(join(dir, 'id'), plain);
    expect(sshTunnelOf({ ...base, private_key: join(dir, 'id') })?.privateKey).toBe(plain);
    expect(redact(`key: ${plain}`)).toBe('key: ***');
  });

  it('decrypts an encrypted key with its passphrase', () => {
    const t = sshTunnelOf({
      ...base,
      private_key: encrypted,
      private_key_password: 'correct horse',
    });
    expect(t?.passphrase).toBe('correct horse');
  });

  it.each([
    ['no host', { ...base, host: undefined }, /'ssh_tunnel.host' is required/],
    ['no username', { ...base, username: '' }, /'ssh_tunnel.username' is required/],
    ['no key', { ...base, private_key: undefined }, /'ssh_tunnel.private_key' is required/],
    ['a bad port', { ...base, port: 70000 }, /'ssh_tunnel.port' must be between 1 and 65535/],
    ['not an object', 'yes', /'ssh_tunnel' must be an object/],
    [
      'an encrypted key without passphrase',
      { ...base, private_key: encrypted },
      /^ssh_tunnel: private_key is encrypted: set ssh_tunnel.private_key_password$/,
    ],
    [
      'a wrong passphrase',
      { ...base, private_key: encrypted, private_key_password: 'wrong horse' },
      /^ssh_tunnel: private_key_password does not decrypt private_key \(bad passphrase\)$/,
    ],
    [
      'not a key',
      { ...base, private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nnonsense\n' },
      /^ssh_tunnel: private_key is not a private key ssh can use/,
    ],
    [
      'a missing key file',
      { ...base, private_key: '/nonexistent/id_ed25519' },
      /'ssh_tunnel.private_key': cannot read \/nonexistent\/id_ed25519 \(ENOENT\)/,
    ],
    [
      'a fingerprint in another form',
      { ...base, host_key_fingerprint: 'aa:bb' },
      /host_key_fingerprint' must be the SHA256/,
    ],
  ])('rejects %s in one line', (_, v, message) => {
    const m = problem(v);
    expect(m).toMatch(message);
    expect(m).not.toContain('\n');
    expect(m).not.toContain('horse');
  });

  it('refuses a Unix socket directory as the host behind a tunnel', () => {
    expect(() =>
      normalizeConfig({
        database: 'd',
        username: 'u',
        host: '/var/run/postgresql',
        ssh_tunnel: base,
      }),
    ).toThrow(
      /'host' is a Unix socket directory \(\/var\/run\/postgresql\), which an SSH tunnel cannot reach/,
    );
  });

  it('--config ENV reads TAP_POSTGRES_SSH_TUNNEL as a JSON object', () => {
    expect(configFromEnv({ TAP_POSTGRES_SSH_TUNNEL: JSON.stringify(base) }).ssh_tunnel).toEqual(
      base,
    );
    expect(() => configFromEnv({ TAP_POSTGRES_SSH_TUNNEL: 'enable' })).toThrow(
      'TAP_POSTGRES_SSH_TUNNEL is not a JSON object',
    );
  });
});
