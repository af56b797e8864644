#!/usr/bin/env node
// The `agora` binary.
import module from 'node:module'
import { setFlagsFromString } from 'node:v8'

// Compiled code is cached on disk (Node's compile cache, in the OS temp dir),
// so that each later run of a command starts faster.
module.enableCompileCache?.()
// A daemon idles most of its life: V8's size-over-speed mode keeps its heap
// (and so its resident memory) about a quarter smaller. Set before the rest
// of the program loads, which is why that is imported dynamically.
setFlagsFromString('--optimize-for-size')
const { runCli } = await import('./cli.ts')

const code = await runCli(process.argv.slice(2))
// Exit explicitly: a stopped daemon may leave library timers behind.
process.exit(code)
