// npm patreon@0.4.1: oauth(clientId, secret).getTokens(code, redirect), then refreshToken(refresh).
// Pointed at the server by PATREON_OAUTH_HOST (read when the module loads), as its changelog
// documents. Usage: PATREON_OAUTH_HOST=http://127.0.0.1:PORT node patreon_js_oauth.mjs ID SECRET CODE REDIRECT
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const host = process.env.PATREON_OAUTH_HOST || '';
if (!host.startsWith('http://127.0.0.1:')) {
  console.error(`PATREON_OAUTH_HOST must be http://127.0.0.1:PORT, got ${host}`);
  process.exit(2);
}
const { oauth } = require('patreon');
const [clientId, secret, code, redirect] = process.argv.slice(2);
const client = oauth(clientId, secret);
try {
  const tokens = await client.getTokens(code, redirect);
  const refreshed = await client.refreshToken(tokens.refresh_token);
  console.log(JSON.stringify({ tokens, refreshed }));
} catch (err) {
  console.error('patreon@0.4.1 failed:', JSON.stringify(err, Object.getOwnPropertyNames(err)));
  process.exit(1);
}
