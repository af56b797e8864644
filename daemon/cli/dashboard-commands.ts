// `agora dashboard`: asks the running daemon, through its admin socket, for a
// single-use login link to its web dashboard, and prints it.
import { printResult, textOption, withDaemon } from './daemon-calls.ts'
import type { CommandRun } from './usage.ts'

const APP_KEY_REF = /^[A-Za-z0-9._-]{1,128}$/

export const dashboardLink: CommandRun = async ({ values }) => {
  const appKey = textOption(values, 'app-key', APP_KEY_REF, 'an app-key name or id')
  const login = await withDaemon(values, 'the dashboard is served by a running one (agora service run)', async daemon => await daemon.dashboardLogin(appKey))
  return printResult(values, login, () => `${login.url}\n`)
}
