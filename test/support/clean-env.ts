/**
 * The machine's settings for reaching the network, kept when a test runs a command in an
 * environment of its own: without its extra CA certificates, an npm behind a TLS-inspecting proxy
 * fails every fetch with SELF_SIGNED_CERT_IN_CHAIN and retries for minutes. `npm_config_cafile`
 * too (`npm test` sets it from npm's global config), because `npm install -g --prefix` reads its
 * global config from that prefix instead.
 */
const NETWORK = [
  'NODE_EXTRA_CA_CERTS',
  'npm_config_cafile',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/**
 * An environment as a user's clean shell has it: PATH, HOME and how to reach the network, nothing
 * else of the test run's own (no other npm_* variables of `npm test`, no TAP_POSTGRES_* settings).
 */
export function cleanEnv(path = process.env.PATH ?? ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: path, HOME: process.env.HOME };
  for (const k of NETWORK) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}
