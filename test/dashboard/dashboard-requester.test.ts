// The dashboard's requester side and an activity's detail in a real browser
// (Debian's chromium, headless) over a payment pair on the dev chain: the
// Requester view shows the demand and its proposals, releases an allocation
// and rejects a debit note with a reason, an invoice's detail rejects it (each
// after a confirmation, checked on the daemons over REST), the documents'
// details show the rejections' reasons, and an activity's detail shows its
// usage growing and a batch's output.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import type { TestNode } from '../helpers/cluster.ts'
import { lowContrastTexts, unnamedControls } from '../helpers/accessibility.ts'
import { builtDashboard, chromiumPath, closeBrowser, keepFailure, launchBrowser } from '../helpers/dashboard-browser.ts'
import { PAIR_ALIAS, paymentPairFixture } from '../helpers/payment-pair.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import type { FileServer } from '../exe-unit/helpers.ts'
import { eventually } from '../helpers/wait.ts'

const P = '/payment-api/v1'
const NOT_LOADING = "document.querySelector('[aria-busy]') === null"

describe('dashboard in a browser: the requester side of a paid job', function () {
  this.timeout(600_000)
  let built = ''
  let shots = ''
  let browser: Browser | undefined
  let page: Page
  // Filled in by the first before hook, read by the pair's (registered after it).
  // The activity's package is served from loopback, which the exe-unit refuses unless told.
  const pairOptions: { dashboardDir?: string; modules: Record<string, unknown> } = { modules: { activity: { allowPrivateNetworks: true } } }
  let job: { agreementId: string; activityId: string } | undefined
  let files: FileServer | undefined
  let hello = ''

  before(async () => {
    const [executable, dir] = await Promise.all([chromiumPath(), builtDashboard()])
    built = dir
    pairOptions.dashboardDir = dir
    shots = await mkdtemp(join(tmpdir(), 'agora-dashboard-requester-shots-'))
    console.log(`      dashboard screenshots in ${shots}`)
    browser = await launchBrowser(executable)
    page = await browser.newPage()
    files = await startFileServer()
    hello = await publishModule(files, 'hello')
  })
  const pair = paymentPairFixture('100', pairOptions)

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && browser !== undefined) await keepFailure(page, shots)
  })

  after(async () => {
    await closeBrowser(browser)
    await files?.close()
    if (built !== '') await rm(built, { recursive: true, force: true })
  })

  const onRequester = async (view: string): Promise<void> => {
    await page.goto(pair.requester.service.dashboardLogin().url)
    await page.waitForSelector('#node-id', { timeout: 60_000 })
    await page.goto(`${pair.requester.service.apiUrl!}/dashboard/#/${view}`)
  }

  const text = async (selector: string): Promise<string> => await page.$eval(selector, element => element.textContent ?? '')

  const started = async (): Promise<{ agreementId: string; activityId: string }> => {
    job ??= await pair.agreementWithActivity(undefined, hello)
    return job
  }

  it('shows the demand and its proposals, and why offers match', async () => {
    const { requester } = pair
    const { agreementId } = await started()
    const demands = await requester.client.expect<Array<{ demandId: string }>>(200, 'GET', '/market-api/v1/demands')
    assert.ok(demands.length > 0)
    const demandId = demands.at(-1)!.demandId
    const proposals = await requester.client.expect<Array<{ proposalId: string }>>(200, 'GET', `/agora-api/v1/market/demands/${demandId}/proposals`)
    assert.ok(proposals.length >= 3, 'the initial proposal and the two drafts')

    await onRequester('requester')
    await page.waitForSelector('#requester-title', { timeout: 60_000 })
    for (const proposal of proposals) {
      await page.waitForSelector(`article[data-demand-id="${demandId}"] tr[data-proposal-id="${proposal.proposalId}"]`, { timeout: 60_000 })
    }
    const matching = await page.$eval(`article[data-demand-id="${demandId}"] .match-count`, element => element.textContent ?? '')
    assert.match(matching, /^\d+ of \d+ offers known match\.$/)
    // The agreement shows as the requester's, linking to its detail.
    await page.waitForSelector(`li[data-agreement-id="${agreementId}"] a[href="#/agreements/${agreementId}"]`, { timeout: 60_000 })
    await page.screenshot({ path: join(shots, 'requester-1280.png'), fullPage: true })
  })

  it('releases an allocation after a confirmation, and the daemon no longer lists it', async () => {
    const { requester } = pair
    const { allocationId } = await requester.client.expect<{ allocationId: string }>(201, 'POST', `${P}/allocations`, {
      totalAmount: '5',
      paymentPlatform: PAIR_ALIAS
    })
    await onRequester('requester')
    const button = `tr[data-allocation-id="${allocationId}"] button`
    await page.waitForSelector(button, { timeout: 60_000 })
    await page.waitForSelector(`figure[data-allocation-id="${allocationId}"] .chart canvas`, { timeout: 60_000 })
    const asked: string[] = []
    // Dismissed first: nothing is released.
    page.once('dialog', dialog => {
      asked.push(dialog.message())
      void dialog.dismiss()
    })
    await page.click(button)
    await eventually('the confirmation asked', async () => asked.length === 1)
    assert.match(asked[0]!, new RegExp(`Release allocation ${allocationId}`))
    const listed = async (): Promise<boolean> =>
      (await requester.client.expect<Array<{ allocationId: string }>>(200, 'GET', `${P}/allocations`)).some(a => a.allocationId === allocationId)
    assert.equal(await listed(), true, 'a dismissed confirmation releases nothing')

    page.once('dialog', dialog => void dialog.accept())
    await page.click(button)
    await page.waitForSelector(`tr[data-allocation-id="${allocationId}"]`, { hidden: true, timeout: 60_000 })
    assert.equal(await listed(), false)
    assert.notEqual((await requester.client.call('GET', `${P}/allocations/${allocationId}`)).status, 200)
  })

  it("shows an activity's usage growing and a batch's output in its detail", async () => {
    const { requester } = pair
    const { activityId } = await started()
    const batchId = await requester.client.expect<string>(200, 'POST', `/activity-api/v1/activity/${activityId}/exec`, {
      text: JSON.stringify([{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [], capture: { stdout: { stream: {} } } } }])
    })
    await onRequester('activities')
    const link = `tr[data-activity-id="${activityId}"] a[href="#/activities/${activityId}"]`
    await page.waitForSelector(link, { timeout: 120_000 })
    // The list reads the live usage too: the activity's state, as the provider has it.
    await page.waitForFunction(
      `/^(Initialized|Deployed|Ready)$/.test(document.querySelector(${JSON.stringify(`tr[data-activity-id="${activityId}"] .activity-state`)})?.textContent ?? '')`,
      { timeout: 60_000 }
    )
    await page.click(link)
    await page.waitForSelector('#activity-title', { timeout: 60_000 })
    const seconds = async (): Promise<number> => Number(await page.$eval('#activity-duration', element => element.getAttribute('data-seconds')))
    await page.waitForFunction("Number(document.querySelector('#activity-duration')?.getAttribute('data-seconds')) > 0", { timeout: 60_000 })
    const first = await seconds()
    // The next measurement the page reads is later: its duration is larger.
    await page.waitForFunction(`Number(document.querySelector('#activity-duration')?.getAttribute('data-seconds')) > ${first}`, { timeout: 60_000 })
    assert.ok((await seconds()) > first)
    assert.notEqual(await text('#activity-state'), '')
    await page.waitForFunction(`document.querySelector(${JSON.stringify(`#activity-cost`)})?.textContent !== '—'`, { timeout: 60_000 })

    const batch = `article[data-batch-id="${batchId}"]`
    await page.waitForFunction(`document.querySelector(${JSON.stringify(`${batch} .output .stdout`)})?.textContent === 'hello\\n'`, { timeout: 120_000 })
    await page.waitForFunction(`document.querySelector(${JSON.stringify(`${batch} .output`)})?.textContent.includes('run finished (0)') === true`, {
      timeout: 60_000
    })
    assert.match(await text(`${batch} h4`), /deploy, start, run/)
    await page.screenshot({ path: join(shots, 'activity-detail-1280.png'), fullPage: true })
  })

  it('rejects a received debit note with a reason, after a confirmation, on both daemons', async () => {
    const { provider, requester } = pair
    const { activityId } = await started()
    const received = await eventually('a debit note the requester received', async () => {
      const notes = await requester.client.expect<Array<{ debitNoteId: string; activityId: string; status: string }>>(200, 'GET', `${P}/debitNotes`)
      return notes.find(note => note.activityId === activityId && note.status === 'RECEIVED')
    })
    const id = received.debitNoteId
    await onRequester('requester')
    // Debit notes come every 300 ms here: the filter keeps this one in view as newer ones arrive.
    await page.waitForSelector('#received-filter', { timeout: 60_000 })
    await page.type('#received-filter', id)
    const row = `tr[data-document-id="${id}"]`
    await page.waitForSelector(`${row} details.reject summary`, { timeout: 60_000 })
    await page.click(`${row} details.reject summary`)
    // With the form open: its controls are named and its text contrasted, as the rest of the view.
    assert.deepEqual(await unnamedControls(page), [])
    assert.deepEqual(await lowContrastTexts(page), [])
    await page.select(`${row} select[name="reason"]`, 'BAD_SERVICE')
    // Without a reason written, nothing is sent.
    await page.click(`${row} button[type="submit"]`)
    await page.waitForSelector(`${row} [role="alert"]`, { timeout: 60_000 })
    assert.equal((await requester.client.expect<{ status: string }>(200, 'GET', `${P}/debitNotes/${id}`)).status, 'RECEIVED')

    await page.type(`${row} input[name="message"]`, 'the output was empty')
    // The events from a little before the rejection (debit notes come every 300 ms here: the log from its start is long).
    const since = encodeURIComponent(new Date(Date.now() - 5_000).toISOString())
    page.once('dialog', dialog => void dialog.accept())
    await page.click(`${row} button[type="submit"]`)
    await page.waitForFunction(`document.querySelector(${JSON.stringify(`${row} .status`)})?.textContent === 'REJECTED (BAD_SERVICE: the output was empty)'`, {
      timeout: 60_000
    })
    await page.screenshot({ path: join(shots, 'requester-rejected.png'), fullPage: true })

    type RejectionEvent = { eventType: string; debitNoteId: string; rejection?: { rejectionReason: string; message?: string } }
    for (const [name, node] of [
      ['requester', requester],
      ['provider', provider]
    ] as Array<[string, TestNode]>) {
      const rejected = await eventually(`the rejection's event on the ${name}`, async () => {
        const events = await node.client.expect<RejectionEvent[]>(200, 'GET', `${P}/debitNoteEvents?timeout=1&maxEvents=100&afterTimestamp=${since}`)
        return events.find(event => event.eventType === 'DebitNoteRejectedEvent' && event.debitNoteId === id)
      })
      assert.deepEqual(
        { reason: rejected.rejection?.rejectionReason, message: rejected.rejection?.message },
        { reason: 'BAD_SERVICE', message: 'the output was empty' }
      )
      assert.equal((await node.client.expect<{ status: string }>(200, 'GET', `${P}/debitNotes/${id}`)).status, 'REJECTED', `on the ${name}`)
    }

    // The document's id opens its detail, which gives the reason too.
    await page.click(`${row} a[href="#/debit-notes/${id}"]`)
    await page.waitForFunction(`document.querySelector('#document-rejection')?.textContent.startsWith('BAD_SERVICE: the output was empty') === true`, {
      timeout: 60_000
    })
    assert.equal(await text('#document-status'), 'REJECTED')
    assert.equal(await page.$('details.reject'), null, 'a rejected debit note cannot be rejected again')
  })

  it('renders the Requester view and an activity detail at phone width without overflow', async () => {
    const { activityId } = await started()
    await onRequester('requester')
    await page.setViewport({ width: 390, height: 844 })
    try {
      for (const [view, title, shot] of [
        ['requester', '#requester-title', 'requester-390.png'],
        [`activities/${activityId}`, '#activity-title', 'activity-detail-390.png']
      ] as const) {
        await page.goto(`${pair.requester.service.apiUrl!}/dashboard/#/${view}`)
        await page.waitForSelector(title, { timeout: 60_000 })
        await page.waitForFunction(NOT_LOADING, { timeout: 60_000 })
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number
        assert.ok(overflow <= 0, `${view}: the page is ${overflow} px wider than a phone screen`)
        await page.screenshot({ path: join(shots, shot), fullPage: true })
      }
    } finally {
      await page.setViewport({ width: 1280, height: 800 })
    }
  })

  it('rejects the invoice from its detail with a reason, after a confirmation, on both daemons', async () => {
    const { provider, requester } = pair
    const { agreementId } = await started()
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const invoice = await eventually('the invoice received', async () => {
      const invoices = await requester.client.expect<Array<{ invoiceId: string; agreementId: string; amount: string; status: string }>>(
        200,
        'GET',
        `${P}/invoices`
      )
      return invoices.find(entry => entry.agreementId === agreementId && entry.status === 'RECEIVED')
    })
    await onRequester(`invoices/${invoice.invoiceId}`)
    await page.waitForFunction(`document.querySelector('#document-status')?.textContent === 'RECEIVED'`, { timeout: 60_000 })
    assert.equal(await text('#document-amount'), invoice.amount)
    assert.ok(await page.$(`#document-facts a[href="#/agreements/${agreementId}"]`), 'the invoice links its agreement')
    await page.click('details.reject summary')
    assert.deepEqual(await unnamedControls(page), [])
    assert.deepEqual(await lowContrastTexts(page), [])
    await page.select('select[name="reason"]', 'INCORRECT_AMOUNT')
    await page.type('input[name="message"]', 'more than agreed')
    const asked: string[] = []
    // Dismissed first: nothing is sent.
    page.once('dialog', dialog => {
      asked.push(dialog.message())
      void dialog.dismiss()
    })
    await page.click('details.reject button[type="submit"]')
    await eventually('the confirmation asked', async () => asked.length === 1)
    assert.match(asked[0]!, new RegExp(`Reject invoice ${invoice.invoiceId} \\(INCORRECT_AMOUNT: more than agreed\\)`))
    assert.equal((await requester.client.expect<{ status: string }>(200, 'GET', `${P}/invoices/${invoice.invoiceId}`)).status, 'RECEIVED')

    page.once('dialog', dialog => void dialog.accept())
    await page.click('details.reject button[type="submit"]')
    await page.waitForFunction(`document.querySelector('#document-status')?.textContent === 'REJECTED'`, { timeout: 60_000 })
    assert.match(await text('#document-rejection'), /^INCORRECT_AMOUNT: more than agreed \(accepted instead: 0\)$/)
    await page.screenshot({ path: join(shots, 'invoice-rejected.png'), fullPage: true })
    await page.setViewport({ width: 390, height: 844 })
    try {
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number
      assert.ok(overflow <= 0, `the invoice's detail is ${overflow} px wider than a phone screen`)
      await page.screenshot({ path: join(shots, 'invoice-390.png'), fullPage: true })
    } finally {
      await page.setViewport({ width: 1280, height: 800 })
    }

    for (const [name, node] of [
      ['requester', requester],
      ['provider', provider]
    ] as Array<[string, TestNode]>) {
      const listed = await eventually(`the invoice's rejection on the ${name}`, async () => {
        const rejections = await node.client.expect<Array<{ invoiceId?: string; rejection: { rejectionReason: string; message?: string } }>>(
          200,
          'GET',
          '/agora-api/v1/payment/rejections'
        )
        return rejections.find(entry => entry.invoiceId === invoice.invoiceId)
      })
      assert.deepEqual(listed.rejection, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '0', message: 'more than agreed' })
      assert.equal((await node.client.expect<{ status: string }>(200, 'GET', `${P}/invoices/${invoice.invoiceId}`)).status, 'REJECTED', `on the ${name}`)
    }
  })
})
