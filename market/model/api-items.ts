// Offers and demands in API shape, whether our own subscriptions or what the
// network publishes: one builder, so every listing shows the same fields.
import type { Demand, Offer } from './api.ts'

/** The terms every offer and demand states. */
export interface PublishedTerms {
  properties: Record<string, unknown>
  constraints: string
  timestamp: string
}

export function apiItemOf(kind: 'offer', id: string, issuer: string, terms: PublishedTerms): Offer
export function apiItemOf(kind: 'demand', id: string, issuer: string, terms: PublishedTerms): Demand
export function apiItemOf(kind: 'offer' | 'demand', id: string, issuer: string, terms: PublishedTerms): Offer | Demand
export function apiItemOf(kind: 'offer' | 'demand', id: string, issuer: string, terms: PublishedTerms): Offer | Demand {
  const { properties, constraints, timestamp } = terms
  return kind === 'offer'
    ? { offerId: id, providerId: issuer, properties, constraints, timestamp }
    : { demandId: id, requestorId: issuer, properties, constraints, timestamp }
}
