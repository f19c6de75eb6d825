// npm patreon@0.4.1 (API v1): patreon(token)('/current_user') against PATREON_OAUTH_HOST.
// Usage: PATREON_OAUTH_HOST=http://127.0.0.1:PORT node patreon_js_v1.mjs ACCESS_TOKEN
// Prints {"status", "id", "full_name", "campaign_id", "store_user"} from rawJson and the store.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const host = process.env.PATREON_OAUTH_HOST || ''
if (!host.startsWith('http://127.0.0.1:')) {
  console.error(`PATREON_OAUTH_HOST must be http://127.0.0.1:PORT, got ${host}`)
  process.exit(2)
}
const { patreon } = require('patreon')
const [token] = process.argv.slice(2)
try {
  const { store, rawJson, response } = await patreon(token)('/current_user')
  const id = rawJson.data.id
  const user = store.find('user', id)
  console.log(JSON.stringify({
    status: response.status,
    id,
    full_name: rawJson.data.attributes.full_name,
    campaign_id: rawJson.data.relationships.campaign?.data?.id ?? null,
    store_user: user ? user.full_name : null,
  }))
} catch (err) {
  console.log(JSON.stringify({ error: String(err) }))
  process.exit(1)
}
