// Segment's Node SDK, unchanged, pointed at Lodestone: `node node_sdk.mjs HOST WRITE_KEY USER_ID EMAIL`.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, userId, email] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 3, maxRetries: 3 })
const failures = []
analytics.on('error', (err) => failures.push(String(err?.reason ?? err?.code ?? err)))
const context = { campaign: { source: 'partner-node', medium: 'referral' } }
analytics.identify({ userId, traits: { email, first_name: 'Node' }, context })
analytics.track({ userId, event: 'Demo Requested', properties: { plan: 'pro' }, context })
analytics.page({ userId, name: 'Pricing', properties: { url: 'https://acme.test/pricing' }, context })
await analytics.closeAndFlush({ timeout: 30000 })
if (failures.length) {
  console.error(`failed: ${failures.join('; ')}`)
  process.exit(1)
}
console.log('sent')
