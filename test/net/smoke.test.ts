import assert from 'node:assert/strict'
describe('smoke', () => { it('runs on node 24', () => { assert.equal(Number(process.versions.node.split('.')[0]) >= 22, true) }) })
