// One bare JSON-RPC call over HTTP: used to see whether a chain answers at all
// (readiness, health), where a full ethers provider would retry on its own.

export interface JsonRpcReply {
  result?: unknown
  error?: { code: number; message: string }
}

/** Calls `method` at `url`; throws on a transport failure, a non-2xx status or an error reply. */
export async function jsonRpcCall(url: string, method: string, params: unknown[], signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    ...(signal === undefined ? {} : { signal })
  })
  if (!response.ok) throw new Error(`JSON-RPC ${method} answered HTTP ${response.status}`)
  const reply = (await response.json()) as JsonRpcReply
  if (reply.error !== undefined) throw new Error(`JSON-RPC ${method} failed: ${reply.error.message}`)
  return reply.result
}
