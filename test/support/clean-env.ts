/**
 * The machine's settings for reaching the network, kept when a test runs a command in an
 * environment of its own: without its extra CA certificates, an npm behind a TLS-inspecting proxy
 * fails every fetch with SELF_SIGNED_CERT_IN_CHAIN and retries for minutes.
 */
const NETWORK = [
  'NODE_EXTRA_CA_CERTS',
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
 * of the test run's own (no npm_* variables of `npm test`, no TAP_POSTGRES_* settings).
 */
export function cleanEnv(path = process.env.PATH ?? ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: path, HOME: process.env.HOME };
  for (const k of NETWORK) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}
