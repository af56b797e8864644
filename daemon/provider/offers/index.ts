// The provider agent's offers: built from the machine, the settings and the runtimes that answer; kept live.
export { OfferKeeper } from './offer-keeper.ts'
export type {
  DataOfferSource,
  OfferKeeperComponents,
  OfferKeeperInit,
  OfferKeeperEvents,
  OfferMarket,
  PublishedOffer,
  RuntimeAnswer,
  UnpublishedPreset
} from './offer-keeper.ts'
export { dataOfferOf, offerOf, PRESET_PROPERTY } from './offer-properties.ts'
export { dataOfferSource } from './data-offers.ts'
