// What the dashboard's browser tests and benchmark share: Debian's chromium
// (scripts/chromium-up.sh installs it when absent), the dashboard built into a
// temp dir, and a headless browser driven by puppeteer-core.
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import puppeteer from 'puppeteer-core'
import type { Browser, Page } from 'puppeteer-core'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The chromium executable's path, installing Debian's package when absent. */
export async function chromiumPath(): Promise<string> {
  const { stdout } = await run(join(ROOT, 'scripts/chromium-up.sh'), { timeout: 900_000 })
  const path = stdout.trim().split('\n').pop() ?? ''
  if (path === '') throw new Error('chromium-up.sh printed no path')
  return path
}

/** Builds the dashboard into a fresh temp dir (what `npm run build` puts in dist/dashboard) and returns the dir. */
export async function builtDashboard(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'agora-dashboard-build-'))
  await run(process.execPath, [join(ROOT, 'scripts/build-dashboard.ts')], { env: { ...process.env, AGORA_DASHBOARD_OUT: out }, timeout: 120_000 })
  return out
}

/** A headless chromium; as root it must run without its sandbox (chromium refuses otherwise). */
export async function launchBrowser(executablePath: string): Promise<Browser> {
  const args = ['--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check']
  if (process.getuid?.() === 0) args.push('--no-sandbox')
  return await puppeteer.launch({ executablePath, headless: true, args, defaultViewport: { width: 1280, height: 800 } })
}

/** Closes the browser, and kills its process if it does not close. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (browser === undefined) return
  const child = browser.process()
  try {
    await Promise.race([browser.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close timed out')), 10_000).unref())])
  } catch {
    child?.kill('SIGKILL')
  }
}

/** Keeps a failed test's screenshot and the start of the page's text beside the others. */
export async function keepFailure(page: Page, dir: string): Promise<void> {
  await page.screenshot({ path: join(dir, `failed-${Date.now()}.png`) }).catch(() => undefined)
  const shown = (await page.evaluate('document.body.innerText').catch(() => '')) as string
  console.log(`      page at failure (${page.url()}): ${shown.slice(0, 500)}`)
}
