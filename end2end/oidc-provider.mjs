// The OpenID provider appreg's sign-in tests run against (issue 17, part 2): node
// `oidc-provider` (pinned in package.json), configured like an Entra ID tenant: RS256 ID tokens
// with `oid`, `tid`, `email`, `preferred_username` and `xms_edov`; clients that authenticate with
// a secret (client_secret_basic) or a certificate's key (private_key_jwt); authorization code with
// PKCE. Bound to 127.0.0.1 only. Started by the Rust integration tests (server/tests/integration/
// nhsmail.rs) and by Playwright (end2end/playwright.config.ts).
//
//   OIDC_PORT=3101 OIDC_REDIRECT_URI=http://127.0.0.1:3100/sign-in/nhsmail/callback \
//     node end2end/oidc-provider.mjs
//
// Settings (environment):
//   OIDC_PORT          port (0: any free one); the first line printed is {"issuer": "http://127.0.0.1:<port>"}
//   OIDC_REDIRECT_URI  the desk's callback, registered for both clients
//   OIDC_CLIENT_CERT   a PEM file holding the certificate of the `appreg-desk-cert` client's key
//   OIDC_ACCOUNTS      JSON: { "<login>": { claims } }; a login not listed signs in as a person
//                      with an unverified <login>@example.org address
//
// People sign in at the development login page oidc-provider renders (any password); consent
// is given by the desk's registration, as Entra's admin consent does, so there is no consent page.
//
// For the negative tests only, POST /__test/next-id-token with a JSON body changes the next ID
// token the token endpoint issues, re-signed: {"claims": {...}} overrides claims
// ("exp_offset": seconds from now), {"foreign_key": true} signs it with a key the provider does
// not publish under the same kid (a bad signature), {"rotate": true} signs it (and every later
// one) with a new key that only then appears in the JWKS (key rotation).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

const HOST = '127.0.0.1';
const port = Number.parseInt(process.env.OIDC_PORT ?? '3101', 10);
const redirectUri = process.env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error('oidc-provider: set OIDC_REDIRECT_URI to the desk\'s callback');
  process.exit(2);
}

// Drop oidc-provider's development-only notices (in-memory adapter, dev interactions, runtime).
for (const level of ['warn', 'info']) {
  const original = console[level].bind(console);
  console[level] = (first, ...rest) => {
    if (typeof first === 'string' && first.includes('oidc-provider ')) return;
    original(first, ...rest);
  };
}

const { default: Provider } = await import('oidc-provider');
const jose = await import('jose');

async function signingKey(kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwk, publicJwk };
}

const current = await signingKey('appreg-test-1');
const next = await signingKey('appreg-test-2');
const foreign = await signingKey('appreg-test-1');
let rotated = false;
let tamper = null;

const tenant = '0d5f4b6e-2b1c-4c1e-9a64-5d1f1e0a7c11';
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');

const clients = [
  {
    client_id: 'appreg-desk',
    client_secret: 'appreg-desk-test-secret-0123456789abcdef',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];
if (process.env.OIDC_CLIENT_CERT) {
  const certificate = new crypto.X509Certificate(fs.readFileSync(process.env.OIDC_CLIENT_CERT));
  clients.push({
    client_id: 'appreg-desk-cert',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: { keys: [{ ...certificate.publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig' }] },
  });
}

const server = http.createServer();
server.listen(port, HOST);
await new Promise((resolve) => server.once('listening', resolve));
const issuer = `http://${HOST}:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [current.jwk] },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'oid', 'tid', 'xms_edov'],
  },
  // Entra puts the claims in the ID token; so does this provider.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['appreg-oidc-test-cookie-key'] },
  async findAccount(ctx, id) {
    const known = accounts[id];
    const claims = known
      ? { tid: tenant, ...known, sub: id }
      : { sub: id, tid: tenant, email: `${id}@example.org`, email_verified: false, name: id };
    return { accountId: id, claims: async () => claims };
  },
  // The desk's registration has consent already (as Entra's admin consent): grant what it asks.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.silent = true;

// The ID token the next token response carries, changed as the test asked, and re-signed.
async function tampered(idToken) {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
  const change = tamper ?? {};
  const { exp_offset: expOffset, ...claims } = change.claims ?? {};
  Object.assign(payload, claims);
  if (expOffset !== undefined) payload.exp = Math.floor(Date.now() / 1000) + expOffset;
  const key = change.foreign_key ? foreign : rotated ? next : current;
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.jwk.kid })
    .sign(key.privateKey);
}

provider.use(async (ctx, nextMiddleware) => {
  await nextMiddleware();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token && (tamper || rotated)) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token) };
    tamper = null;
  }
  if (ctx.path === '/jwks' && ctx.status === 200 && rotated) {
    const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
    ctx.body = { keys: [...body.keys, next.publicJwk] };
  }
});

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.method === 'POST' && req.url === '/__test/next-id-token') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      tamper = JSON.parse(body || '{}');
      if (tamper.rotate) rotated = true;
      res.writeHead(204).end();
    });
    return;
  }
  callback(req, res);
});

console.log(JSON.stringify({ issuer }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
