// What `agora run` prints when the job is over: a few lines on stderr for a
// person, or the one JSON document for a script; and a failure made readable
// ("no matching offers, and why" above all).
import { formatAmount } from '../../payment/model/amounts.ts'
import { CodedError } from '../../net/kernel.ts'
import { NoMatchingOffersError } from '../../sdk/index.ts'
import type { MatchExplanation, RentalReport } from '../../sdk/index.ts'
import type { PaymentSeen } from './run-payment.ts'
import type { RunSpec } from './run-spec.ts'

export interface RunReport {
  readonly exitCode: number
  readonly json: Record<string, unknown>
  readonly lines: readonly string[]
}

export function runReport(
  spec: RunSpec,
  result: { exitCode: number; stdout: string; stderr: string },
  released: RentalReport,
  payment: PaymentSeen,
  timings: Readonly<Record<string, number>>
): RunReport {
  const cost = formatAmount(released.cost)
  const tx = payment.status === 'paid' ? (payment.txHash ?? 'paid') : 'pending'
  const lines = [
    `exit code ${result.exitCode}`,
    `cost ${cost} GLM (agreement ${released.agreementId}, provider ${released.providerId})`,
    `payment ${tx}`,
    ...released.rejected.map(rejected => `rejected ${rejected.documentId}: ${rejected.reason}${rejected.message === undefined ? '' : ` (${rejected.message})`}`)
  ]
  return {
    exitCode: result.exitCode,
    lines,
    json: {
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      runtime: spec.runtime,
      image: spec.image,
      timings,
      agreementId: released.agreementId,
      providerId: released.providerId,
      cost,
      ...(released.invoiceId === undefined ? {} : { invoiceId: released.invoiceId }),
      rejected: released.rejected,
      payment
    }
  }
}

export function renderSummary(report: RunReport): string {
  return report.lines.map(line => `agora: ${line}\n`).join('')
}

function explanationLines(explanation: MatchExplanation): string[] {
  const lines = [`${explanation.offersKnown} offer(s) known, ${explanation.matching} matching`]
  const counted = (what: string, rows: readonly { excluded: number }[], label: (row: never) => string): void => {
    for (const row of [...rows].sort((a, b) => b.excluded - a.excluded)) {
      if (row.excluded > 0) lines.push(`  ${what} ${label(row as never)} excluded ${row.excluded}`)
    }
  }
  counted("the demand's", explanation.demandConstraints, (row: { constraint: string }) => row.constraint)
  counted("the offers' own", explanation.offerConstraints, (row: { constraint: string }) => row.constraint)
  counted('the check', explanation.sdkChecks ?? [], (row: { check: string }) => row.check)
  return lines
}

/** A failure for a person (`json` false) or for the JSON document: message, code, and the explanation when there is one. */
export function renderFailure(error: unknown, json: true): Record<string, unknown>
export function renderFailure(error: unknown, json: false): string
export function renderFailure(error: unknown, json: boolean): string | Record<string, unknown> {
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof CodedError ? error.code : 'Internal'
  if (error instanceof NoMatchingOffersError) {
    if (json) return { code, message, explanation: error.explanation }
    return [`no matching offers: ${message}`, ...explanationLines(error.explanation).map(line => `  ${line}`)].join('\n')
  }
  return json ? { code, message } : message
}
