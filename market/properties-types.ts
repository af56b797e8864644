/** A property value after normalisation: a JSON scalar or a list of scalars. */
export type PropertyScalar = string | number | boolean
export type PropertyValueFlat = PropertyScalar | PropertyScalar[]
export type FlatProperties = Record<string, PropertyValueFlat>
