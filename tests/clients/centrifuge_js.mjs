// npm centrifuge@2.8.5 (with ws and xmlhttprequest in Node), as DonationAlerts integrations use
// it: GET /api/v1/user/oauth for the id and socket_connection_token, setToken(), a private
// `$alerts:donation_<id>` subscription through `subscribeEndpoint` with an Authorization header.
// Usage: node centrifuge_js.mjs http://127.0.0.1:PORT ACCESS_TOKEN COUNT
// Prints CONNECTED {ctx}, SUBSCRIBED {ctx}, then PUBLICATION {ctx} for COUNT publications and
// exits 0; ERROR … and exit 1 on any error.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const Centrifuge = require('centrifuge')
const WebSocket = require('ws')
const { XMLHttpRequest } = require('xmlhttprequest')

const [base, accessToken, count] = process.argv.slice(2)
if (!base?.startsWith('http://127.0.0.1:')) {
  console.error(`the base URL must be http://127.0.0.1:PORT, got ${base}`)
  process.exit(2)
}
const fail = (what) => {
  console.log(`ERROR ${what}`)
  process.exit(1)
}
setTimeout(() => fail('timed out after 60 s'), 60_000).unref()

const answer = await fetch(`${base}/api/v1/user/oauth`, { headers: { Authorization: `Bearer ${accessToken}` } })
if (answer.status !== 200) fail(`user/oauth answered ${answer.status}`)
const { data: user } = await answer.json()

const centrifuge = new Centrifuge(`${base.replace('http://', 'ws://')}/connection/websocket`, {
  websocket: WebSocket,
  xmlhttprequest: XMLHttpRequest,
  subscribeEndpoint: `${base}/api/v1/centrifuge/subscribe`,
  subscribeHeaders: { Authorization: `Bearer ${accessToken}` },
})
centrifuge.setToken(user.socket_connection_token)
centrifuge.on('connect', (ctx) => console.log(`CONNECTED ${JSON.stringify(ctx)}`))
centrifuge.on('disconnect', (ctx) => fail(`disconnected: ${JSON.stringify(ctx)}`))
let left = Number(count)
const sub = centrifuge.subscribe(`$alerts:donation_${user.id}`, (ctx) => {
  console.log(`PUBLICATION ${JSON.stringify(ctx)}`)
  left -= 1
  if (left === 0) {
    centrifuge.removeAllListeners('disconnect')
    centrifuge.disconnect()
    process.exit(0)
  }
})
sub.on('subscribe', (ctx) => console.log(`SUBSCRIBED ${JSON.stringify(ctx)}`))
sub.on('error', (ctx) => fail(`subscription: ${JSON.stringify(ctx)}`))
centrifuge.connect()
