// Labels on every container the exe-unit creates: after a crash, the next
// start finds its node's leftovers by them and removes them.
export const LABEL_ACTIVITY = 'agora.activity'
export const LABEL_AGREEMENT = 'agora.agreement'
export const LABEL_NODE = 'agora.node'

export function nodeFilter(nodeId: string): { label: string[] } {
  return { label: [`${LABEL_NODE}=${nodeId}`] }
}
