// The dashboard in a real browser (Debian's chromium, headless) over two real
// daemons on loopback: the login link `agora dashboard` prints logs in once,
// a bad or used one is refused, the Node view names this node, an agreement
// the two daemons make shows in the Agreements view without a reload, every
// main view's controls have accessible names and its text WCAG AA contrast,
// and a screenshot of each main view is kept as an artefact.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { CONTENT_SECURITY_POLICY } from '../../daemon/dashboard/index.ts'
import { agora } from '../helpers/agora-process.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { lowContrastTexts, unnamedControls } from '../helpers/accessibility.ts'
import { builtDashboard, chromiumPath, closeBrowser, keepFailure, launchBrowser } from '../helpers/dashboard-browser.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { PAIR_ALIAS, paymentPairFixture } from '../helpers/payment-pair.ts'

const VIEWS = ['node', 'provider', 'requester', 'agreements', 'activities', 'payments', 'custody', 'earnings'] as const
// Datasets added besides the first: their audit entries fill more than a page.
const COHORTS = 30
// Page-side expressions (they run in the browser, so they are given as text).
const NOT_LOADING = "document.querySelector('[aria-busy]') === null"

describe('dashboard in a browser', function () {
  this.timeout(600_000)
  const cluster = new Cluster()
  let built = ''
  let shots = ''
  let browser: Browser | undefined
  let page: Page
  let provider: TestNode
  let requester: TestNode
  const cspViolations: string[] = []

  before(async () => {
    const [executable, dir] = await Promise.all([chromiumPath(), builtDashboard()])
    built = dir
    shots = await mkdtemp(join(tmpdir(), 'agora-dashboard-shots-'))
    console.log(`      dashboard screenshots in ${shots}`)
    provider = await cluster.start({ dashboardDir: built })
    requester = await cluster.start({ dashboardDir: built })
    browser = await launchBrowser(executable)
    page = await browser.newPage()
    page.on('console', message => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
    })
  })

  after(async () => {
    await closeBrowser(browser)
    await cluster.stop()
    if (built !== '') await rm(built, { recursive: true, force: true })
  })

  // A failed test leaves a screenshot and the page's text beside the others.
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && browser !== undefined) await keepFailure(page, shots)
  })

  const base = (): string => requester.service.apiUrl!

  async function loginLink(): Promise<string> {
    const printed = await agora(['dashboard', '--data-dir', requester.dataDir])
    assert.equal(printed.code, 0, printed.stderr)
    const url = printed.stdout.trim()
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/login\?token=[A-Za-z0-9_-]{43}$/)
    return url
  }

  // The tests after the login's own run in its session; run alone, each logs in first.
  async function loggedIn(): Promise<void> {
    const cookies = await page.cookies(base())
    if (cookies.some(cookie => cookie.name === 'agora_session')) return
    await page.goto(requester.service.dashboardLogin().url)
  }

  const text = async (selector: string): Promise<string> => await page.$eval(selector, element => element.textContent ?? '')

  it('refuses a bad login token with 401 and sets no session', async () => {
    const answer = await page.goto(`${base()}/dashboard/login?token=not-a-real-token`)
    assert.equal(answer?.status(), 401)
    assert.match(await page.$eval('body', body => body.textContent ?? ''), /not valid/)
    assert.deepEqual(await page.cookies(), [])
  })

  it('logs in with the link agora dashboard prints, once, and shows this node in the Node view', async () => {
    const link = await loginLink()
    assert.ok(!link.includes(TEST_KEY_FRAGMENT), 'the link carries no app-key')
    const answer = await page.goto(link)
    assert.equal(answer?.status(), 200)
    assert.equal(page.url(), `${base()}/dashboard/`, 'the token left the address bar')
    assert.equal(answer?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY)
    const [cookie] = await page.cookies()
    assert.equal(cookie?.name, 'agora_session')
    assert.equal(cookie?.httpOnly, true)
    assert.equal(cookie?.sameSite, 'Strict')
    await page.waitForSelector('#node-id', { timeout: 60_000 })
    assert.equal(await text('#node-id'), requester.nodeId)
    assert.equal(await text('.who strong'), 'admin-socket')
    await page.waitForFunction("document.querySelector('#peer-count')?.textContent === '1'", { timeout: 60_000 })

    const again = await browser!.newPage()
    try {
      const reused = await again.goto(link)
      assert.equal(reused?.status(), 401, 'a used token is refused')
    } finally {
      await again.close()
    }
  })

  it('shows an agreement the two daemons make in the Agreements view, live', async () => {
    await loggedIn()
    await page.goto(`${base()}/dashboard/#/agreements`)
    await page.waitForSelector('#agreements-title', { timeout: 60_000 })
    await page.waitForFunction(NOT_LOADING, { timeout: 60_000 })
    // A mark on the window: gone if the page reloaded.
    await page.evaluate('window.stayed = true')
    const { agreementId } = await approvedAgreement(provider, requester)
    const row = await page.waitForSelector(`tr[data-agreement-id="${agreementId}"]`, { timeout: 120_000 })
    assert.ok(row !== null)
    assert.equal(await page.evaluate('window.stayed'), true, 'the page did not reload')
    assert.equal(await text(`tr[data-agreement-id="${agreementId}"] .state`), 'Approved')
    assert.match(await text('#agreement-counts'), /Approved 1/)

    // The filter keeps the rows that match and hides the others.
    await page.type('#agreements-filter', 'no-such-agreement')
    await page.waitForSelector(`tr[data-agreement-id="${agreementId}"]`, { hidden: true, timeout: 60_000 })
    await page.$eval('#agreements-filter', input => {
      ;(input as unknown as { value: string }).value = ''
    })
    await page.type('#agreements-filter', agreementId.slice(0, 8))
    await page.waitForSelector(`tr[data-agreement-id="${agreementId}"]`, { timeout: 60_000 })
    await page.click(`tr[data-agreement-id="${agreementId}"] a`)
    await page.waitForFunction("document.querySelector('#agreement-state')?.textContent === 'Approved'", { timeout: 60_000 })
    await page.screenshot({ path: join(shots, 'agreement-detail.png') })
  })

  it('renders each main view, at 1280×800 and at phone width, without a CSP violation; at 1280×800 every control is named and the text contrasted', async () => {
    await loggedIn()
    for (const [width, height] of [
      [1280, 800],
      [390, 844]
    ] as const) {
      await page.setViewport({ width, height })
      for (const view of VIEWS) {
        await page.goto(`${base()}/dashboard/#/${view}`)
        await page.waitForSelector(`nav a[aria-current="page"][href="#/${view}"]`, { timeout: 60_000 })
        await page.waitForFunction(`document.querySelector('main h2') !== null && ${NOT_LOADING}`, { timeout: 60_000 })
        assert.equal(await page.$$eval('[role="alert"]', alerts => alerts.map(alert => alert.textContent).join(' ')), '', `${view}: no failure shown`)
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number
        assert.ok(overflow <= 0, `${view} at ${width} px: the page is ${overflow} px wider than the screen`)
        if (width === 1280) {
          assert.deepEqual(await unnamedControls(page), [], `${view}: controls without an accessible name`)
          assert.deepEqual(await lowContrastTexts(page), [], `${view}: text below WCAG AA contrast`)
        }
        await page.screenshot({ path: join(shots, `${view}-${width}.png`), fullPage: width < 1280 })
      }
    }
    await page.goto(`${base()}/dashboard/#/agreements`)
    await page.waitForSelector('tr[data-agreement-id]', { timeout: 60_000 })
    await page.screenshot({ path: join(shots, 'agreements-390.png'), fullPage: true })
    await page.setViewport({ width: 1280, height: 800 })
    assert.deepEqual(cspViolations, [])
  })

  it('lists the connected peer with its score and the addresses it observed this node at', async () => {
    await loggedIn()
    await page.goto(`${base()}/dashboard/#/node`)
    await page.waitForFunction(`document.querySelector(${JSON.stringify(`#peers tr[data-node-id="${provider.nodeId}"] .score`)})?.textContent === '0'`, {
      timeout: 60_000
    })
    const observed = await page.$$eval('#observed-addresses code', codes => codes.map(code => code.textContent ?? ''))
    assert.ok(observed.length > 0 && observed.every(address => address.startsWith('/ip4/127.0.0.1/')), observed.join(' '))
    // Reachability as the daemon reports it: on loopback, the provider is a direct connection.
    const reported = (await requester.client.expect<{ reachability: { status: string } }>(200, 'GET', '/agora-api/v1/node')).reachability
    await page.waitForFunction("Number(document.querySelector('#reachability-connections')?.getAttribute('data-direct')) >= 1", { timeout: 60_000 })
    assert.equal(await page.$eval('#reachability-status', element => element.getAttribute('data-status')), reported.status)
    assert.match(await text('#reachability-status'), /^(public|private|unknown) — /)
  })

  it('shows that no data is in custody, then a dataset added and its audit entry', async () => {
    await loggedIn()
    await page.goto(`${base()}/dashboard/#/custody`)
    await page.waitForSelector('#custody-title', { timeout: 60_000 })
    await page.waitForFunction(NOT_LOADING, { timeout: 60_000 })
    assert.match(await text('main'), /No datasets in custody/)
    const source = await mkdtemp(join(tmpdir(), 'agora-dashboard-custody-'))
    try {
      const csv = join(source, 'patients.csv')
      await writeFile(csv, 'age,weight\n40,70.5\n51,80.25\n')
      await requester.client.expect(201, 'POST', '/agora-api/v1/custody/datasets', { name: 'patients', csv, description: 'two patients' })
      // More than a page of audit entries, for the pages below.
      for (let i = 0; i < COHORTS; i++) {
        await requester.client.expect(201, 'POST', '/agora-api/v1/custody/datasets', { name: `cohort-${String(i).padStart(2, '0')}`, csv })
      }
    } finally {
      await rm(source, { recursive: true, force: true })
    }
    const audit = await requester.client.expect<Array<{ seq: number; kind: string; dataset?: string }>>(
      200,
      'GET',
      '/agora-api/v1/custody/audit?dataset=patients'
    )
    const added = audit.find(entry => entry.kind === 'dataset-added')
    assert.ok(added !== undefined, JSON.stringify(audit))
    await page.reload()
    await page.waitForSelector('tr[data-dataset="patients"]', { timeout: 60_000 })
    assert.match(await text('tr[data-dataset="patients"]'), /two patients/)
    await page.screenshot({ path: join(shots, 'custody-dataset.png'), fullPage: true })

    // The audit log is shown a page at a time, newest first, and filtered.
    const shown = async (): Promise<string[]> =>
      await page.$$eval('[data-table="audit"] tbody tr', rows => rows.map(row => row.getAttribute('data-audit-seq') ?? ''))
    const first = await shown()
    assert.equal(first.length, 25)
    assert.match(await text('#audit-pages span'), new RegExp(`^page 1 of 2 \\(${COHORTS + 1} rows\\)$`))
    await page.click('#audit-pages button:last-of-type')
    await page.waitForFunction("document.querySelector('#audit-pages span')?.textContent.startsWith('page 2 of 2') === true", { timeout: 60_000 })
    const second = await shown()
    assert.equal(second.at(-1), String(added.seq), 'the oldest entry, the first dataset added, ends the last page')
    assert.ok(second.every(seq => !first.includes(seq)))
    assert.match(await text(`tr[data-audit-seq="${added.seq}"]`), /dataset-added.*patients/)
    await page.type('#audit-filter', 'cohort-03')
    await page.waitForFunction(`document.querySelectorAll('[data-table="audit"] tbody tr').length === 1`, { timeout: 60_000 })
    assert.match(await text('[data-table="audit"] tbody tr'), /dataset-added.*cohort-03/)
    assert.equal(await page.$('#audit-pages'), null, 'one row needs no pages')
  })

  it('acts as the app-key agora dashboard --app-key names, and refuses one that does not exist', async () => {
    const printed = await agora(['dashboard', '--data-dir', requester.dataDir, '--app-key', 'autoconf', '--json'])
    assert.equal(printed.code, 0, printed.stderr)
    const login = JSON.parse(printed.stdout) as { url: string; appKey: string; expiresAt: string }
    assert.equal(login.appKey, 'autoconf')
    const expiresIn = Date.parse(login.expiresAt) - Date.now()
    assert.ok(expiresIn > 0 && expiresIn <= 60_000, `expires in ${expiresIn} ms`)
    const answer = await fetch(login.url, { redirect: 'manual' })
    assert.equal(answer.status, 303)
    const cookie = (answer.headers.get('set-cookie') ?? '').split(';', 1)[0]!
    const me = await fetch(`${base()}/me`, { headers: { cookie } })
    assert.equal(me.status, 200)
    assert.equal(((await me.json()) as { name: string }).name, 'autoconf')

    const missing = await agora(['dashboard', '--data-dir', requester.dataDir, '--app-key', 'no-such-key'])
    assert.notEqual(missing.code, 0)
    assert.match(missing.stderr, /no app-key named no-such-key/)
  })

  it('moves between views by keyboard', async () => {
    await loggedIn()
    await page.goto(`${base()}/dashboard/#/node`)
    await page.waitForSelector('#node-id', { timeout: 60_000 })
    await page.focus('nav a[href="#/agreements"]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#agreements-title', { timeout: 60_000 })
    assert.equal(await page.$eval('nav a[aria-current="page"]', a => a.getAttribute('href')), '#/agreements')
  })
})

// The cluster's app-key (TEST_APP_KEY): no link may carry it.
const TEST_KEY_FRAGMENT = 'test-app-key'

describe('dashboard in a browser: a paid job on the dev chain', function () {
  this.timeout(600_000)
  let built = ''
  let shots = ''
  let browser: Browser | undefined
  let page: Page
  // Filled in by the first before hook, read by the pair's (registered after it).
  const pairOptions: { dashboardDir?: string } = {}

  before(async () => {
    const [executable, dir] = await Promise.all([chromiumPath(), builtDashboard()])
    built = dir
    pairOptions.dashboardDir = dir
    shots = await mkdtemp(join(tmpdir(), 'agora-dashboard-paid-shots-'))
    console.log(`      dashboard screenshots in ${shots}`)
    browser = await launchBrowser(executable)
    page = await browser.newPage()
  })
  const pair = paymentPairFixture('100', pairOptions)

  // A failed test leaves a screenshot and the page's text beside the others.
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && browser !== undefined) await keepFailure(page, shots)
  })

  after(async () => {
    await closeBrowser(browser)
    if (built !== '') await rm(built, { recursive: true, force: true })
  })

  const text = async (selector: string): Promise<string> => await page.$eval(selector, element => element.textContent ?? '')

  /** The views with a paid job's rows in them: named controls, contrasted text. */
  const accessible = async (view: string): Promise<void> => {
    assert.deepEqual(await unnamedControls(page), [], `${view}: controls without an accessible name`)
    assert.deepEqual(await lowContrastTexts(page), [], `${view}: text below WCAG AA contrast`)
  }

  const rowsOf = async (heading: string): Promise<string[]> =>
    (await page.evaluate(
      `[...document.querySelectorAll('h3')].filter(h => h.textContent === ${JSON.stringify(heading)}).flatMap(h => { const t = h.nextElementSibling; return t ? [...t.querySelectorAll('tbody tr')].map(tr => tr.textContent) : [] })`
    )) as string[]

  it("shows the provider's debit notes, then its invoice, and charts its earnings, as the job is paid", async () => {
    const { provider, requester } = pair
    const { url } = provider.service.dashboardLogin()
    await page.goto(url)
    await page.waitForSelector('#node-id', { timeout: 60_000 })
    await page.click('nav a[href="#/payments"]')
    await page.waitForSelector('#payments-title', { timeout: 60_000 })
    await page.evaluate('window.stayed = true')

    const allocation = await requester.client.expect<{ allocationId: string }>(201, 'POST', `${P}/allocations`, {
      totalAmount: '50',
      paymentPlatform: PAIR_ALIAS
    })
    const { agreementId, activityId } = await pair.agreementWithActivity()
    // A debit note the provider issued for the activity shows without a reload.
    await page.waitForFunction(
      `[...document.querySelectorAll('tbody tr')].some(tr => tr.querySelector(${JSON.stringify(`a[title="${activityId}"]`)}) !== null && tr.textContent.includes('issued'))`,
      { timeout: 120_000 }
    )
    assert.ok((await rowsOf('Debit notes')).length > 0)
    await page.screenshot({ path: join(shots, 'payments-debit-notes.png') })

    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const invoiceId = await invoiceReceived(requester)
    const invoice = await requester.client.expect<{ invoiceId: string; amount: string }>(200, 'GET', `${P}/invoices/${invoiceId}`)
    await requester.client.expect(200, 'POST', `${P}/invoices/${invoice.invoiceId}/accept`, {
      totalAmountAccepted: invoice.amount,
      allocationId: allocation.allocationId
    })
    // The invoice shows, issued, for its amount, and reaches a settled state, live.
    await page.waitForFunction(
      `[...document.querySelectorAll('tbody tr')].some(tr => tr.querySelector(${JSON.stringify(`a[href="#/invoices/${invoice.invoiceId}"]`)}) !== null && tr.textContent.includes(${JSON.stringify(invoice.amount)}) && /settled|accepted/i.test(tr.textContent))`,
      { timeout: 120_000 }
    )
    assert.equal(await page.evaluate('window.stayed'), true, 'the page did not reload')
    await page.screenshot({ path: join(shots, 'payments-invoice.png'), fullPage: true })

    await page.goto(`${provider.service.apiUrl!}/dashboard/#/earnings`)
    const chart = await page.waitForSelector('.chart[data-points] canvas', { timeout: 60_000 })
    assert.ok(chart !== null)
    const points = Number(await page.$eval('.chart', element => element.getAttribute('data-points')))
    assert.ok(points >= 2, `the earnings chart has ${points} points`)
    await page.screenshot({ path: join(shots, 'earnings.png') })
    await accessible('earnings')

    // The provider agent's status counts the invoice's amount once it is paid.
    await page.goto(`${provider.service.apiUrl!}/dashboard/#/provider`)
    await page.waitForFunction(`document.querySelector('#provider-paid')?.textContent === ${JSON.stringify(invoice.amount)}`, { timeout: 120_000 })
    await page.screenshot({ path: join(shots, 'provider.png') })
    await accessible('provider')

    // The payment shows with its transaction hash.
    await page.goto(`${provider.service.apiUrl!}/dashboard/#/payments`)
    const hash = await page.waitForFunction(
      `(() => { const code = document.querySelector('.tx-hash'); return code !== null && /^0x[0-9a-f]{64}$/i.test(code.textContent) ? code.textContent : false })()`,
      { timeout: 60_000 }
    )
    const paidOnChain = (await provider.client.expect<Array<{ details: string }>>(200, 'GET', `${P}/payments`)).map(payment => payment.details)
    assert.ok(paidOnChain.includes(String(await hash.jsonValue())), 'the hash shown is that of a payment the daemon lists')
    await page.screenshot({ path: join(shots, 'payments.png'), fullPage: true })
    await accessible('payments')

    // The invoice's id opens its detail: every field, and the payment's hash once paid.
    await page.click(`a[href="#/invoices/${invoice.invoiceId}"]`)
    await page.waitForFunction(`document.querySelector('#document-status')?.textContent === 'SETTLED'`, { timeout: 120_000 })
    assert.equal(await text('#document-amount'), invoice.amount)
    const facts = await text('#document-facts')
    for (const expected of [agreementId.slice(0, 10), activityId.slice(0, 10), provider.nodeId, requester.nodeId, 'issued by this node']) {
      assert.ok(facts.includes(expected), `the invoice's detail shows ${expected}: ${facts}`)
    }
    const hashes = await page.$$eval('#document-payments .tx-hash', codes => codes.map(code => code.textContent ?? ''))
    assert.ok(hashes.length > 0 && hashes.every(shown => paidOnChain.includes(shown)), hashes.join(' '))
    assert.equal(await page.$('details.reject'), null, 'the issuer cannot reject its own invoice')
    await page.screenshot({ path: join(shots, 'invoice-detail.png'), fullPage: true })

    // So does a debit note's, with its activity and its usage counters.
    const notes = await provider.client.expect<Array<{ debitNoteId: string; totalAmountDue: string; activityId: string }>>(200, 'GET', `${P}/debitNotes`)
    const note = notes.find(entry => entry.activityId === activityId)!
    await page.goto(`${provider.service.apiUrl!}/dashboard/#/debit-notes/${note.debitNoteId}`)
    await page.waitForFunction(`document.querySelector('#document-amount')?.textContent === ${JSON.stringify(note.totalAmountDue)}`, { timeout: 60_000 })
    assert.ok(await page.$(`#document-facts a[href="#/activities/${activityId}"]`), 'the debit note links its activity')
    assert.ok(await page.$(`#document-facts a[href="#/agreements/${agreementId}"]`), 'the debit note links its agreement')
    assert.match(await text('#document-usage'), /\d/)
    await accessible('debit note')

    await page.goto(`${provider.service.apiUrl!}/dashboard/#/activities`)
    await page.waitForSelector(`tr[data-activity-id="${activityId}"] a[href="#/activities/${activityId}"]`, { timeout: 60_000 })
    await page.screenshot({ path: join(shots, 'activities.png') })
    await accessible('activities')
  })
})

const P = '/payment-api/v1'

async function invoiceReceived(node: TestNode): Promise<string> {
  let after: string | undefined
  // Each poll waits up to 5 s for an event: 60 of them bound the wait.
  for (let round = 0; round < 60; round++) {
    const since = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
    const events = await node.client.expect<Array<{ eventType: string; eventDate: string; invoiceId: string }>>(
      200,
      'GET',
      `${P}/invoiceEvents?timeout=5&maxEvents=100${since}`
    )
    const found = events.find(event => event.eventType === 'InvoiceReceivedEvent')
    if (found !== undefined) return found.invoiceId
    if (events.length > 0) after = events.at(-1)!.eventDate
  }
  throw new Error('the requester received no invoice')
}
