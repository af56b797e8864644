// Mocha root hooks: in parallel mode they run once per test file.
import { removeMadeTempDirs } from './helpers/temp-dirs.ts'

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await removeMadeTempDirs()
  }
}
