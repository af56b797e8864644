// The provider agent's offers: built from the machine, the settings and the runtimes that answer; kept live.
export { OfferKeeper } from './offer-keeper.ts'
export type {
  OfferKeeperComponents,
  OfferKeeperInit,
  OfferKeeperEvents,
  OfferMarket,
  PublishedOffer,
  RuntimeAnswer,
  UnpublishedPreset
} from './offer-keeper.ts'
export { offerOf, PRESET_PROPERTY } from './offer-properties.ts'
