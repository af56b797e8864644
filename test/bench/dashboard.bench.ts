// The dashboard as a browser sees it, over one daemon on loopback (Debian's
// chromium, headless; scripts/chromium-up.sh installs it when absent):
//   dashboard_first_render_ms   from opening the login link to the Node view
//                               showing the node id (login, redirect, page,
//                               script, session and node calls), median of
//                               several fresh browser contexts (empty caches),
//                               as the browser clocks it: the page's
//                               'agora:first-render' mark, whose time counts from
//                               the start of the login request's navigation
//   dashboard_first_render_driver_ms  the same as the driving test sees it
//                               (goto to the node id found), which adds the
//                               browser's start of the navigation and the
//                               driver's round trips
//   dashboard_transfer_gzip_kb  the bytes of everything that first render
//                               loaded, gzipped (the daemon sends its files
//                               gzipped; the API's small JSON answers are
//                               counted gzipped too)
// Targets: under 500 ms, under 300 KB.
import { rm } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import type { HTTPResponse } from 'puppeteer-core'
import { Cluster } from '../helpers/cluster.ts'
import { builtDashboard, chromiumPath, closeBrowser, launchBrowser } from '../helpers/dashboard-browser.ts'
import { percentile, report } from './report.ts'

const RUNS = 7

const [executable, built] = await Promise.all([chromiumPath(), builtDashboard()])
const cluster = new Cluster()
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined
try {
  const node = await cluster.start({ dashboardDir: built })
  browser = await launchBrowser(executable)
  const renders: number[] = []
  const driverRenders: number[] = []
  let transferred = 0
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.createBrowserContext()
    try {
      const page = await context.newPage()
      const bodies: Array<Promise<number>> = []
      page.on('response', (response: HTTPResponse) => {
        // Redirects have no body to count.
        if (response.status() >= 300 && response.status() < 400) return
        bodies.push(
          response.buffer().then(
            body => gzipSync(body).length,
            () => 0
          )
        )
      })
      const { url } = node.service.dashboardLogin()
      const startedAt = performance.now()
      await page.goto(url)
      await page.waitForFunction(`document.querySelector('#node-id')?.textContent === ${JSON.stringify(node.nodeId)}`, { timeout: 60_000 })
      driverRenders.push(performance.now() - startedAt)
      const mark = await page.waitForFunction("performance.getEntriesByName('agora:first-render')[0]?.startTime", { timeout: 60_000 })
      renders.push(Number(await mark.jsonValue()))
      if (run === 0) transferred = (await Promise.all(bodies)).reduce((sum, size) => sum + size, 0)
    } finally {
      await context.close()
    }
  }
  report('dashboard_first_render_ms', Math.round(percentile(renders, 50)), 'ms')
  report('dashboard_first_render_driver_ms', Math.round(percentile(driverRenders, 50)), 'ms')
  report('dashboard_transfer_gzip_kb', Math.round((transferred / 1024) * 10) / 10, 'KB')
} finally {
  await closeBrowser(browser)
  await cluster.stop()
  await rm(built, { recursive: true, force: true })
}
