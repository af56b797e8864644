// The time the exe-unit counts usage by and schedules its measurements on:
// injected, so that tests advance it instead of waiting for real time to pass.
export type { Clock, TimerHandle } from '../net/index.ts'
export { systemClock } from '../net/index.ts'
