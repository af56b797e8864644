// One golem-js 3.x session against an Agora requester daemon, as a mocha
// suite: GolemNetwork.connect() (version, identity), a market scan, a demand
// through golem-js's own directors, offer proposals, its counter-proposal, an
// agreement, an activity, exe.run and runAndStream, and a clean shutdown. The
// provider is a real daemon whose offer a small provider agent publishes and
// negotiates over the provider's own Market API. A variant names the runtime,
// serves its workload and says what to run and what must come out.
//
// This session runs without a chain: the demand carries the payment platform
// properties an allocation would add, and golem-js's market and activity
// modules are driven directly. The allocation path (`oneOf`, paid on a dev
// chain) is test/compat/golem-js-payment.test.ts.
import assert from 'node:assert/strict'
import { BasicDemandDirector, DemandSpecification, GolemNetwork, WorkloadDemandDirector } from '@golem-sdk/golem-js'
import type { Activity, Agreement, ExeUnit, OfferProposal, Result, ScannedOffer } from '@golem-sdk/golem-js'
import { liveChildren, reapChildren } from './agora-process.ts'
import { GOLEM_APP_KEY, startDaemonPair } from './golem-daemons.ts'
import type { DaemonPair } from './golem-daemons.ts'
import { DemandPrototypeBuilder, PAYMENT_PLATFORM, firstOf, golemOffer, recordingLogger } from './golem-js.ts'
import type { RecordingLogger, Watched } from './golem-js.ts'
import type { ServedWorkload } from './golem-workload.ts'
import { waitFor } from './wait.ts'
import { recordFetch } from './http-recorder.ts'
import type { HttpRecorder } from './http-recorder.ts'
import { startProviderAgent } from './provider-agent.ts'
import type { ProviderAgent } from './provider-agent.ts'

const EVENT_WAIT_MS = 60_000
/** golem-js's own builder type, which its index does not export. */
type DemandBodyBuilder = Parameters<BasicDemandDirector['apply']>[0]

/** One command: a shell line (vm) or an entry point with arguments (wasmtime), and its stdout. */
export interface SessionCommand {
  command: string
  args?: string[]
  env?: Record<string, string>
  stdout: string
}

export interface SessionVariant {
  runtime: 'wasmtime' | 'vm'
  /** Brings up what the workload needs (once, before the daemons) and serves it. */
  serve: () => Promise<ServedWorkload>
  /** How long the suite's steps may take (a vm deploy imports an image). */
  timeoutMs: number
  succeeds: SessionCommand
  /** Fails with exit code `code`. */
  fails: SessionCommand & { code: number }
  streams: SessionCommand
  /** Streams, then fails. */
  streamsAndFails: SessionCommand
  /** Run with `env` as the command's environment, which its output shows. */
  withEnv?: SessionCommand
  /** What the runtime holds for an agreement (e.g. containers): some while its activity runs, none once it is destroyed. */
  held?: (agreementId: string) => Promise<string[]>
}

async function run(exe: ExeUnit, step: SessionCommand): Promise<Result> {
  const options = step.env === undefined ? {} : { env: step.env }
  return step.args === undefined ? await exe.run(step.command, options) : await exe.run(step.command, step.args, options)
}

async function runAndStream(exe: ExeUnit, step: SessionCommand): Promise<{ output: string; end: Result }> {
  const remote = step.args === undefined ? await exe.runAndStream(step.command) : await exe.runAndStream(step.command, step.args)
  const chunks: string[] = []
  remote.stdout.subscribe(chunk => chunks.push(String(chunk)))
  const end = await remote.waitForExit(EVENT_WAIT_MS)
  return { output: chunks.join(''), end }
}

export function describeGolemJsSession(variant: SessionVariant): void {
  describe(`golem-js 3.x drives an Agora requester (${variant.runtime})`, function () {
    this.timeout(variant.timeoutMs)

    let daemons: DaemonPair
    let workload: ServedWorkload
    let agent: ProviderAgent
    let recorder: HttpRecorder
    let logger: RecordingLogger
    let glm: GolemNetwork
    // What one step hands the next; a step whose predecessor failed says so.
    let requesterId: string | undefined
    // golem-js keeps its demand subscribed while it makes the agreement.
    let drafts: Watched<OfferProposal> | undefined
    let draft: OfferProposal | undefined
    let agreement: Agreement | undefined
    let activity: Activity | undefined
    let exe: ExeUnit | undefined

    before(async function () {
      this.timeout(Math.max(180_000, variant.timeoutMs))
      workload = await variant.serve()
      daemons = await startDaemonPair()
      agent = await startProviderAgent(daemons.provider.client, golemOffer(daemons.provider.nodeId, variant.runtime))
      recorder = recordFetch(daemons.requester.url)
      logger = recordingLogger()
      glm = new GolemNetwork({ api: { url: daemons.requester.url, key: GOLEM_APP_KEY }, logger })
    })

    afterEach(function () {
      if (this.currentTest?.state === 'failed') {
        console.error(`calls Agora answered with an error so far:\n  ${recorder.failures().join('\n  ')}`)
        console.error(`golem-js errors so far:\n  ${logger.errors().join('\n  ')}`)
      }
    })

    after(async function () {
      this.timeout(60_000)
      drafts?.unsubscribe()
      recorder?.restore()
      await glm?.disconnect().catch(() => {})
      await agent?.stop().catch(() => {})
      await workload?.close()
      await daemons?.stop()
      await reapChildren()
    })

    it('connects: version check without a key, then the identity', async () => {
      await glm.connect()
      const version = recorder.calls.find(call => call.path === '/version/get')
      assert.equal(version?.status, 200)
      const identity = await glm.services.yagna.identity.getIdentity()
      requesterId = identity.identity
      // golem-js compares ids with ===: the API speaks lowercase throughout, as yagna does.
      assert.equal(requesterId, daemons.requester.nodeId.toLowerCase())
    })

    it('scans the market over Server-Sent Events and sees the offer', async () => {
      const spec = glm.market.buildScanSpecification({ workload: { runtime: { name: variant.runtime } } })
      const scanned = await firstOf<ScannedOffer>(glm.market.scan(spec), seen => seen.provider.id === agent.providerId, EVENT_WAIT_MS)
      scanned.unsubscribe()
      assert.equal(scanned.value.properties['golem.runtime.name'], variant.runtime)
    })

    it('publishes a demand, gets the offer proposal, counters it and gets the provider Draft', async () => {
      assert.ok(requesterId, 'connect failed first')
      const builder = new DemandPrototypeBuilder()
      new BasicDemandDirector().apply(builder as unknown as DemandBodyBuilder)
      await new WorkloadDemandDirector(
        DemandPrototypeBuilder.workloadConfig({ runtime: { name: variant.runtime }, imageUrl: workload.imageUrl, imageHash: workload.imageHash })
      ).apply(builder as unknown as DemandBodyBuilder)
      // What yagna's payment decorations add for an allocation on this platform.
      builder.addProperty(`golem.com.payment.platform.${PAYMENT_PLATFORM}.address`, requesterId)
      builder.addConstraint(`golem.com.payment.platform.${PAYMENT_PLATFORM}.address`, '*')
      const demandSpecification = new DemandSpecification(builder.getProduct(), PAYMENT_PLATFORM)

      const counters: string[] = []
      glm.market.events.on('offerCounterProposalSent', ({ counterProposal }) => counters.push(counterProposal.id))
      drafts = await firstOf<OfferProposal>(
        glm.market.collectDraftOfferProposals({
          demandSpecification,
          pricing: { model: 'linear', maxStartPrice: 1, maxCpuPerHourPrice: 1, maxEnvPerHourPrice: 1 }
        }),
        proposal => proposal.provider.id === agent.providerId,
        EVENT_WAIT_MS
      )
      draft = drafts.value
      assert.equal(draft.state, 'Draft')
      const counterId = draft.previousProposalId
      assert.ok(counterId !== null, 'the Draft answers a proposal')
      // golem-js tells of its counter once its POST (and the read after it) returned;
      // the provider's Draft may come through the event long poll before that.
      await waitFor("golem-js's own counter-proposal, answered by the Draft", () => counters.includes(counterId), EVENT_WAIT_MS)
      // golem-js tells its own proposals from the provider's by identity === issuerId.
      const counter = await daemons.requester.client.expect(200, 'GET', `/market-api/v1/demands/${draft.demand.id}/proposals/${counterId}`)
      assert.equal(counter.issuerId, requesterId)
      assert.equal(draft.provider.id, agent.providerId.toLowerCase())
      assert.ok(agent.countered.has(counterId), 'the provider saw that counter-proposal')
    })

    it('proposes the agreement and the provider approves it', async () => {
      assert.ok(draft, 'negotiation failed first')
      agreement = await glm.market.proposeAgreement(draft, { expirationSec: 600 })
      drafts?.unsubscribe()
      assert.equal(agreement.getState(), 'Approved')
      assert.ok(agent.approved.has(agreement.id))
      assert.equal(agreement.provider.id, agent.providerId)
    })

    it('creates an activity and deploys and starts it (ExeUnit setup)', async () => {
      assert.ok(agreement, 'the agreement failed first')
      activity = await glm.activity.createActivity(agreement)
      assert.equal(activity.agreement.id, agreement.id)
      exe = await glm.activity.createExeUnit(activity)
      assert.equal((await glm.activity.refreshActivity(activity)).getState(), 'Ready')
      if (variant.held !== undefined) assert.notDeepEqual(await variant.held(agreement.id), [], 'the runtime holds nothing for the running activity')
    })

    it('exe.run: a command that succeeds and one that fails with its exit code', async () => {
      assert.ok(exe, 'the activity failed first')
      const ok = await run(exe, variant.succeeds)
      assert.equal(ok.result, 'Ok', JSON.stringify(ok))
      assert.equal(ok.stdout, variant.succeeds.stdout)

      const failed = await run(exe, variant.fails)
      assert.equal(failed.result, 'Error', JSON.stringify(failed))
      assert.equal(failed.stdout, variant.fails.stdout)
      assert.match(String(failed.message), new RegExp(`\\b${variant.fails.code}\\b`))

      if (variant.withEnv !== undefined) {
        const withEnv = await run(exe, variant.withEnv)
        assert.equal(withEnv.result, 'Ok', JSON.stringify(withEnv))
        assert.equal(withEnv.stdout, variant.withEnv.stdout)
      }
    })

    it('exe.runAndStream: the output streams and the exit code comes with the end', async () => {
      assert.ok(exe, 'the activity failed first')
      const streamed = await runAndStream(exe, variant.streams)
      assert.equal(streamed.output, variant.streams.stdout)
      assert.equal(streamed.end.result, 'Ok', JSON.stringify(streamed.end))

      const failing = await runAndStream(exe, variant.streamsAndFails)
      assert.equal(failing.output, variant.streamsAndFails.stdout)
      assert.equal(failing.end.result, 'Error', JSON.stringify(failing.end))
    })

    it('shuts down cleanly: activity destroyed, agreement terminated, daemons stop, nothing left running', async () => {
      assert.ok(activity && agreement, 'an earlier step failed first')
      const destroyed = await glm.activity.destroyActivity(activity)
      assert.equal(destroyed.getState(), 'Terminated')
      const terminated = await glm.market.terminateAgreement(agreement, 'golem-js is done')
      assert.equal((await glm.market.fetchAgreement(terminated.id)).getState(), 'Terminated')
      assert.equal((await daemons.provider.client.agreement(agreement.id)).state, 'Terminated')
      assert.deepEqual((await variant.held?.(agreement.id)) ?? [], [], 'left behind')
      await glm.disconnect()

      await agent.stop()
      for (const daemon of [daemons.requester, daemons.provider]) {
        daemon.process.child.kill('SIGTERM')
        const code = await daemon.process.exited
        const complaints = daemon.process.log.filter(record => Number(record.level) >= 40)
        assert.equal(code, 0, `${daemon.process.stderr()}${JSON.stringify(complaints)}`)
      }
      assert.deepEqual(liveChildren(), [])
    })
  })
}
