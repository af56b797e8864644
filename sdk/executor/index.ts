// The task executor: map and forEach over rentals, with retries on other
// providers, avoidance of failing ones, timeouts, cancellation and events.
export { createExecutor } from './task-executor.ts'
export type { ExecutorComponents } from './task-executor.ts'
export { mapSettings, DEFAULT_RETRIES } from './map-settings.ts'
export { DEFAULT_PROVIDER_FAILURE_LIMIT } from './provider-failures.ts'
