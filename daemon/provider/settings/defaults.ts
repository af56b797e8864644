// A fresh node's settings and presets: everything the machine has, less a
// margin of memory and disk for the system and the daemon; one preset per
// runtime at golemsp's example prices.
import type { ProviderPreset, ProviderSettings } from '../model.ts'
import { floorGib } from './machine.ts'
import type { Machine } from './machine.ts'

/** Memory kept for the system and the daemon: 1 GiB or a tenth, whichever is more. */
export function memoryMarginGib(machine: Machine): number {
  return Math.max(1, machine.memoryGib / 10)
}

/** Disk kept free: 2 GiB or a tenth of what is free, whichever is more. */
export function diskMarginGib(machine: Machine): number {
  return Math.max(2, machine.diskGib / 10)
}

export function defaultSettings(machine: Machine): ProviderSettings {
  return {
    offering: true,
    cores: machine.threads,
    memoryGib: Math.max(0.01, floorGib(machine.memoryGib - memoryMarginGib(machine))),
    diskGib: Math.max(0.01, floorGib(machine.diskGib - diskMarginGib(machine))),
    maxAgreements: machine.threads,
    debitNoteInterval: { minSec: 10, maxSec: 3600, preferredSec: 120 },
    acceptTimeout: { minSec: 30, maxSec: 3600, preferredSec: 240 },
    paymentTimeout: { minSec: 60, maxSec: 86_400, preferredSec: 86_400 },
    minAgreementSec: 300,
    maxAgreementSec: 86_400,
    idleAgreementSec: 600,
    allowRequesters: [],
    denyRequesters: []
  }
}

const DEFAULT_PRICING = Object.freeze({ startingFee: '0', envPerHour: '0.02', cpuPerHour: '0.1' })

export function defaultPresets(): ProviderPreset[] {
  return [
    { name: 'wasmtime', runtime: 'wasmtime', pricing: { ...DEFAULT_PRICING } },
    { name: 'vm', runtime: 'vm', pricing: { ...DEFAULT_PRICING } }
  ]
}
