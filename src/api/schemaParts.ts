/** The pieces the query API's JSON Schemas are built of (schemas.ts and adminSchemas.ts). */
export type JsonSchema = Record<string, unknown>;

export const nullableString: JsonSchema = { type: ['string', 'null'] };
export const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
export const nullableRef = (name: string): JsonSchema => ({ anyOf: [ref(name), { type: 'null' }] });
export const list = (name: string): JsonSchema => ({ type: 'array', items: ref(name) });

export function object(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return { type: 'object', ...(description ? { description } : {}), properties, required: Object.keys(properties), additionalProperties: false };
}

/**
 * An answer body: its own fields, plus `skippedRows` only when stored rows that cannot be read
 * (damaged or edited by hand) were left out of it.
 */
export function answer(properties: Record<string, JsonSchema>): JsonSchema {
  return { ...object(properties), properties: { ...properties, skippedRows: ref('SkippedRows') } };
}

export const customerName: JsonSchema = { type: ['string', 'null'], description: 'The customer\'s display name (GDAP, else Partner Center); null when no source names it.' };
