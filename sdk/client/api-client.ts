// The one way the SDK reaches its daemon: REST calls with the app-key, each
// failure turned into an SdkError (ApiError with the body's code,
// AppKeyRefusedError, DaemonUnreachableError, AbortedError).
export interface ApiRequest {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>
  readonly body?: unknown
  /** A body sent as application/octet-stream. */
  readonly bytes?: Uint8Array | AsyncIterable<Uint8Array>
  readonly signal?: AbortSignal
  /** How long the daemon may take to answer (ms): a long poll's timeout plus a margin. */
  readonly timeoutMs?: number
  /** The Accept header (default application/json; text/event-stream for a batch's events). */
  readonly accept?: string
}

export interface ApiClient {
  readonly url: string
  /** Parsed JSON (undefined for an empty answer); throws an SdkError on any non-2xx. */
  call<T>(method: string, path: string, request?: ApiRequest): Promise<T>
  /** The answer's body as a stream (downloads, SSE). */
  stream(method: string, path: string, request?: ApiRequest): Promise<ReadableStream<Uint8Array>>
}

/** An agreement as GET /market-api/v1/agreements/{id} answers it (the parts the SDK reads). */
export interface AgreementView {
  readonly agreementId: string
  readonly state: string
  readonly validTo: string
  readonly approvedDate?: string
  readonly demand: { readonly demandId: string; readonly requestorId: string; readonly properties: Record<string, unknown>; readonly constraints: string }
  readonly offer: { readonly offerId: string; readonly providerId: string; readonly properties: Record<string, unknown>; readonly constraints: string }
}
