// The performance peer for bench/oauth: npm oidc-provider@9.13.3 on 127.0.0.1 with one
// confidential client (client_secret_post), the refresh_token grant with rotation, and one
// refresh token per load-generator connection minted through the provider's own model classes
// before the server listens. Storage is oidc-provider's in-memory adapter (NOT durable).
//
// usage: node server.mjs PORT CHAINS OUT_JSON [MAX_LIFETIME_SECS]
// Writes {"client_id","client_secret","refresh_tokens":[...]} to OUT_JSON, then prints
// "listening" on stdout. Exits by itself after MAX_LIFETIME_SECS (default 600).

import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [portArg, chainsArg, out, lifetimeArg] = process.argv.slice(2);
const port = Number(portArg);
const chains = Number(chainsArg);
const lifetime = Number(lifetimeArg ?? 600);
if (!Number.isInteger(port) || !Number.isInteger(chains) || chains < 1 || !out) {
  console.error('usage: node server.mjs PORT CHAINS OUT_JSON [MAX_LIFETIME_SECS]');
  process.exit(2);
}

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const ACCOUNT_ID = 'bench-user';
const SCOPE = 'identity campaigns';

// oidc-provider's own in-memory adapter and LRU, with the LRU's cap raised from 1,000 entries
// to 10 million: at 1,000 it evicts grants and refresh tokens of live chains mid-run
// ("grant request is invalid"). Nothing is written to disk.
const store = new LRU({ maxSize: 10_000_000 });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://client.example.com/cb'],
  }],
  scopes: ['identity', 'campaigns'],
  adapter: (model) => new MemoryAdapter(model, store),
  rotateRefreshToken: true,
  // A custom issueRefreshToken enables the refresh_token grant without the openid +
  // offline_access scopes (no ID token on refresh: Maecenas issues none either).
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  ttl: { RefreshToken: 14 * 24 * 60 * 60, AccessToken: 60 * 60, Grant: 14 * 24 * 60 * 60 },
  async findAccount(ctx, sub) {
    if (sub !== ACCOUNT_ID) return undefined;
    return { accountId: sub, async claims() { return { sub }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const client = await provider.Client.find(CLIENT_ID);
const tokens = [];
for (let i = 0; i < chains; i += 1) {
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID });
  grant.addOIDCScope(SCOPE);
  const grantId = await grant.save();
  const rt = new provider.RefreshToken({
    accountId: ACCOUNT_ID,
    client,
    grantId,
    gty: 'authorization_code',
    scope: SCOPE,
  });
  tokens.push(await rt.save());
}
writeFileSync(out, JSON.stringify({
  client_id: CLIENT_ID,
  client_secret: CLIENT_SECRET,
  refresh_tokens: tokens,
}));

const server = provider.listen(port, '127.0.0.1', () => console.log('listening'));
setTimeout(() => {
  console.error(`peer: lifetime of ${lifetime} s reached, stopping`);
  server.close();
  process.exit(0);
}, lifetime * 1000).unref();
