// JsonOf<T>: the shape a schema type has when written as JSON. @grafana/schema uses
// TypeScript string enums (FieldColorModeId, ThresholdsMode, MappingType, ...), which a
// JSON string can never be assigned to; JsonOf turns each into the union of its values
// ("palette-classic" | "thresholds" | ...) and leaves everything else as it is.
export type JsonOf<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<JsonOf<U>>
      : T extends object
        ? { [K in keyof T]: JsonOf<T[K]> }
        : T;
