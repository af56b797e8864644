#!/usr/bin/env node
// The `agora` binary.
import { runCli } from './cli.ts'

const code = await runCli(process.argv.slice(2))
// Exit explicitly: a stopped daemon may leave library timers behind.
process.exit(code)
