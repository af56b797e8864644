import assert from 'node:assert/strict'
import { StateMachine, refusal } from '../../exe-unit/activity/state.ts'
import type { ActivityState } from '../../exe-unit/index.ts'

describe('exe-unit activity state machine', () => {
  function machine(): { states: ActivityState[]; sm: StateMachine } {
    const states: ActivityState[] = []
    return { states, sm: new StateMachine(state => states.push(state)) }
  }

  it('starts New and reports transitions as [current, next]', () => {
    const { states, sm } = machine()
    assert.deepEqual(sm.snapshot(), { state: ['New', null] })
    for (const next of ['Initialized', 'Deployed', 'Ready'] as const) {
      sm.begin(next)
      sm.set(next)
    }
    sm.begin('Terminated')
    sm.set('Terminated', { reason: 'done' })
    assert.deepEqual(
      states.map(s => s.state),
      [
        ['New', 'Initialized'],
        ['Initialized', null],
        ['Initialized', 'Deployed'],
        ['Deployed', null],
        ['Deployed', 'Ready'],
        ['Ready', null],
        ['Ready', 'Terminated'],
        ['Terminated', null]
      ]
    )
    assert.deepEqual(sm.snapshot(), { state: ['Terminated', null], reason: 'done' })
    assert.equal(sm.terminated, true)
  })

  it('goes back with the error when a transition fails, and clears it on success', () => {
    const { sm } = machine()
    sm.set('Initialized')
    sm.begin('Deployed')
    sm.fail('image not found')
    assert.deepEqual(sm.snapshot(), { state: ['Initialized', null], errorMessage: 'image not found' })
    sm.begin('Deployed')
    sm.set('Deployed')
    assert.deepEqual(sm.snapshot(), { state: ['Deployed', null] })
  })

  it('keeps Terminated final and reports Unresponsive with its error', () => {
    const { states, sm } = machine()
    sm.set('Ready')
    sm.set('Unresponsive', { errorMessage: 'the container is gone' })
    assert.deepEqual(sm.snapshot(), { state: ['Unresponsive', null], errorMessage: 'the container is gone' })
    sm.set('Terminated', { reason: 'lost' })
    const count = states.length
    sm.begin('Ready')
    sm.set('Ready')
    sm.fail('late')
    assert.equal(states.length, count, 'nothing changes after Terminated')
    assert.deepEqual(sm.snapshot(), { state: ['Terminated', null], reason: 'lost' })
  })

  it('allows each command only in its states', () => {
    assert.equal(refusal('deploy', 'Initialized'), null)
    assert.equal(refusal('start', 'Deployed'), null)
    assert.equal(refusal('run', 'Ready'), null)
    assert.equal(refusal('transfer', 'Deployed'), null)
    assert.equal(refusal('terminate', 'Unresponsive'), null)
    assert.equal(refusal('deploy', 'Ready'), 'deploy is not allowed in state Ready (deploy runs once, right after the activity is created)')
    assert.equal(refusal('run', 'Deployed'), 'run is not allowed in state Deployed (deploy and start first)')
    assert.equal(refusal('run', 'Unresponsive'), 'run is not allowed in state Unresponsive (deploy and start first)')
    assert.equal(refusal('sign', 'Terminated'), 'sign is not allowed in state Terminated')
  })
})
