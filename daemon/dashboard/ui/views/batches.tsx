// The batches this node sent to an activity, each with its runtime events as
// they stream (the batch results route as Server-Sent Events, which an
// EventSource reads with the session cookie).
import { useEffect, useState } from 'preact/hooks'
import { ApiFailure, get } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'

interface SentBatch {
  batchId: string
  sentAt: string
  commands: string[]
}

interface RuntimeEvent {
  index: number
  kind: { started?: unknown; stdout?: string | number[]; stderr?: string | number[]; finished?: { returnCode: number; message?: string } }
}

// New batches come with no event: a look every 5 s finds them.
const BATCHES_REFRESH_MS = 5_000

async function loadBatches(activityId: string, signal: AbortSignal): Promise<SentBatch[] | string> {
  try {
    return await get<SentBatch[]>(`/agora-api/v1/activity/${encodeURIComponent(activityId)}/batches`, signal)
  } catch (err) {
    // The activity runs here for another requestor: its batches are not this node's to read.
    if (err instanceof ApiFailure && err.status === 403) return 'This node runs this activity for its requestor: only the requestor sees its batches.'
    throw err
  }
}

export function BatchesSection({ activityId }: { activityId: string }) {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick(n => n + 1), BATCHES_REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  const loaded = useLoaded(signal => loadBatches(activityId, signal), [activityId, tick])
  return (
    <>
      <h3>Batches</h3>
      <Frame loaded={loaded}>
        {batches =>
          typeof batches === 'string' ? (
            <p class="empty">{batches}</p>
          ) : batches.length === 0 ? (
            <Empty what="batches sent since the daemon started" />
          ) : (
            [...batches].reverse().map(batch => <BatchOutput key={batch.batchId} activityId={activityId} batch={batch} />)
          )
        }
      </Frame>
    </>
  )
}

const text = (output: string | number[]): string => (typeof output === 'string' ? output : new TextDecoder().decode(new Uint8Array(output)))

function BatchOutput({ activityId, batch }: { activityId: string; batch: SentBatch }) {
  const [lines, setLines] = useState<Array<{ id: number; stream: 'stdout' | 'stderr' | 'status'; text: string }>>([])
  const [done, setDone] = useState(false)
  useEffect(() => {
    const source = new EventSource(`/activity-api/v1/activity/${encodeURIComponent(activityId)}/exec/${encodeURIComponent(batch.batchId)}`)
    let count = 0
    source.addEventListener('runtime', message => {
      const event = JSON.parse((message as MessageEvent<string>).data) as RuntimeEvent
      const { kind } = event
      const add = (stream: 'stdout' | 'stderr' | 'status', shown: string) => setLines(all => [...all, { id: count++, stream, text: shown }])
      const command = batch.commands[event.index] ?? `command ${event.index}`
      if (kind.stdout !== undefined) add('stdout', text(kind.stdout))
      else if (kind.stderr !== undefined) add('stderr', text(kind.stderr))
      else if (kind.finished !== undefined) {
        add('status', `${command} finished (${kind.finished.returnCode})${kind.finished.message === undefined ? '' : `: ${kind.finished.message}`}`)
        // The batch stops at its last command, or at the first that fails.
        if (event.index >= batch.commands.length - 1 || kind.finished.returnCode !== 0) {
          setDone(true)
          source.close()
        }
      } else if (kind.started !== undefined) add('status', `${command} started`)
    })
    // The stream ends when the batch has nothing more to give; the browser would open it again and again.
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.OPEN) {
        source.close()
        setDone(true)
      }
    })
    return () => source.close()
  }, [activityId, batch.batchId])
  return (
    <article class="batch" data-batch-id={batch.batchId} aria-label={`Batch ${batch.batchId}`}>
      <h4>
        Batch <code>{batch.batchId.slice(0, 12)}</code>: {batch.commands.join(', ')} <span class="count">sent {when(batch.sentAt)}</span>
        {done ? null : <span class="count"> — running</span>}
      </h4>
      <pre class="output" aria-live="polite">
        {lines.map(line => (
          <span key={line.id} class={line.stream}>
            {line.text}
            {line.text.endsWith('\n') ? '' : '\n'}
          </span>
        ))}
      </pre>
    </article>
  )
}
