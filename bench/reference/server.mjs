// Reference peer for the appreg benchmark (docs/performance.md, issue 15):
// oidc-provider 9.13.3 with open dynamic client registration (RFC 7591,
// POST /reg), in memory, bound to 127.0.0.1 only.
//
//   REFERENCE_PORT=3900 node bench/reference/server.mjs
//
// Set REFERENCE_VERBOSE=1 to see oidc-provider's start-up notices (they are
// dropped by default so that the only output is the "listening" line).

import * as http from 'node:http';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.REFERENCE_PORT ?? '3900', 10);
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  console.error(`reference: invalid REFERENCE_PORT ${JSON.stringify(process.env.REFERENCE_PORT)}`);
  process.exit(2);
}

// oidc-provider prints its development-only notices ("in-memory adapter",
// "development-only signing keys", "unsupported runtime" on Node < 22, ...)
// with console.warn / console.info, some of them at import time. Drop those,
// and only those, before the module is imported.
if (!process.env.REFERENCE_VERBOSE) {
  for (const level of ['warn', 'info']) {
    const original = console[level].bind(console);
    console[level] = (first, ...rest) => {
      if (typeof first === 'string' && first.includes('oidc-provider ')) return;
      original(first, ...rest);
    };
  }
}

const { default: Provider } = await import('oidc-provider');

const issuer = `http://${HOST}:${PORT}`;

const provider = new Provider(issuer, {
  // No adapter: the built-in in-memory adapter.
  clients: [],
  features: {
    // Open registration: no initial access token, so load can hit it directly.
    registration: { enabled: true, initialAccessToken: false },
    devInteractions: { enabled: false },
  },
  // The defaults, spelt out: registration.json asks for these.
  scopes: ['openid', 'offline_access'],
  clientAuthMethods: [
    'client_secret_basic',
    'client_secret_post',
    'client_secret_jwt',
    'private_key_jwt',
    'none',
  ],
});

provider.proxy = false; // Koa: do not trust X-Forwarded-* headers.
provider.silent = true; // Koa: no console output for errors.

const server = http.createServer(provider.callback());

server.on('error', (err) => {
  console.error(`reference: ${err.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  console.log(`reference listening on ${issuer}`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
  // Keep-alive clients must not hold the exit up.
  setTimeout(() => {
    server.closeAllConnections?.();
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
