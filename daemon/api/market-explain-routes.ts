// Agora's market extras under /agora-api/v1/market: why a demand matches the
// offers it does (POST /explain), counted over the offers this node knows now
// (nothing is subscribed or stored; a bad demand is refused as subscribing it
// would be), and a demand's proposals read without taking them from its event
// queue (GET /demands/{id}/proposals: the events route hands each event once,
// to whoever polls first, so a viewer must not poll it).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { MarketApi } from '../../market/index.ts'
import type { Market } from '../../market/index.ts'
import { ID_PATTERN } from '../../market/model/wire.ts'
import { errorResponses } from './schemas.ts'
import type { TypeBoxProvider } from './type-provider.ts'

export const MARKET_EXTRAS_PREFIX = '/agora-api/v1/market'

const TermCount = Type.Object({
  constraint: Type.String({ description: 'the term, in the constraint language' }),
  excluded: Type.Integer({ minimum: 0, description: 'offers the term excludes (it is not True for them)' }),
  undefinedCount: Type.Integer({ minimum: 0, description: 'of those, offers for which it is Undefined (the property missing or of another type)' })
})

export const MatchExplanation = Type.Object(
  {
    offersKnown: Type.Integer({ minimum: 0, description: 'unexpired offers this node knows' }),
    matching: Type.Integer({ minimum: 0, description: 'offers that match the demand both ways' }),
    demandConstraints: Type.Array(TermCount, { description: "each top-level term of the demand's constraints, in order" }),
    offerConstraints: Type.Array(TermCount, {
      description: 'the failing top-level terms of the offers whose own constraints refuse the demand, most excluding first (at most 20)'
    })
  },
  { description: 'How the known offers match a demand, term by term' }
)

const SubscriptionParams = Type.Object({ subscriptionId: Type.String({ pattern: ID_PATTERN }) })

export function marketExplainRoutes(market: Market): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    app.get(
      '/demands/:subscriptionId/proposals',
      {
        schema: {
          operationId: 'agoraDemandProposals',
          tags: ['requestor'],
          params: SubscriptionParams,
          response: { 200: Type.Array(MarketApi.Proposal, { description: "the demand's proposals, oldest first" }), ...errorResponses(404) }
        }
      },
      async request => market.listProposals('demand', request.params.subscriptionId)
    )
    app.post(
      '/explain',
      {
        schema: {
          operationId: 'explainDemand',
          tags: ['requestor'],
          body: MarketApi.DemandOfferBase,
          response: { 200: MatchExplanation, ...errorResponses() }
        }
      },
      async request => {
        const counts = market.explainDemand(request.body)
        return { ...counts, demandConstraints: [...counts.demandConstraints], offerConstraints: [...counts.offerConstraints] }
      }
    )
  }
}
