import { utils } from 'ssh2';
import { InputError } from '../errors';
import { registerSecret } from '../log/redact';
import { readPemOrFile } from './pem-or-file';
import type { SshTunnelOptions } from './tap-config';

type Raw = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why ssh2 could not use the key, as one line that says what to change; never the key. */
function keyProblem(message: string, hasPassphrase: boolean): string {
  if (/no passphrase given/i.test(message)) {
    return `ssh_tunnel: private_key is encrypted: set ssh_tunnel.private_key_password`;
  }
  if (hasPassphrase && /passphrase/i.test(message)) {
    return `ssh_tunnel: private_key_password does not decrypt private_key (bad passphrase)`;
  }
  return `ssh_tunnel: private_key is not a private key ssh can use (RSA, ECDSA or Ed25519, OpenSSH or PEM format): ${message}`;
}

/**
 * `ssh_tunnel` as the Meltano SDK's SQL taps take it: `{enable, host, port, username,
 * private_key, private_key_password}`. Off unless `enable` is true. The key is parsed here, so a
 * wrong key or passphrase fails before any connection is tried.
 */
export function sshTunnelOf(v: unknown): SshTunnelOptions | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new InputError(`config key 'ssh_tunnel' must be an object`);
  if (!(v.enable === true || v.enable === 'true')) return null;
  const text = (k: string): string => {
    const s = v[k];
    if (typeof s !== 'string' || s.length === 0) {
      throw new InputError(
        `config key 'ssh_tunnel.${k}' is required when ssh_tunnel.enable is true`,
      );
    }
    return s;
  };
  const host = text('host');
  const username = text('username');
  const port = v.port === undefined || v.port === null ? 22 : Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`config key 'ssh_tunnel.port' must be between 1 and 65535`);
  }
  const privateKey = readPemOrFile(text('private_key'), 'ssh_tunnel.private_key')!;
  registerSecret(privateKey);
  const passphrase =
    typeof v.private_key_password === 'string' && v.private_key_password !== ''
      ? v.private_key_password
      : undefined;
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) throw new InputError(keyProblem(parsed.message, !!passphrase));
  const fingerprint = v.host_key_fingerprint;
  if (
    fingerprint !== undefined &&
    (typeof fingerprint !== 'string' || !/^SHA256:/.test(fingerprint))
  ) {
    throw new InputError(
      `config key 'ssh_tunnel.host_key_fingerprint' must be the SHA256:… form ssh-keygen -l prints`,
    );
  }
  return Object.freeze({
    host,
    port,
    username,
    privateKey,
    passphrase,
    hostKeyFingerprint: fingerprint,
  });
}
