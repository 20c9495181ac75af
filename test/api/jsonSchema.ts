/**
 * Just enough JSON Schema 2020-12 to hold API answers to the OpenAPI document: $ref to
 * components, type (or a list of types), enum, properties, required, additionalProperties
 * (false or a schema), items, anyOf, minimum/maximum. Returns every mismatch with its path.
 */
type Schema = Record<string, unknown>;

export function validate(value: unknown, schema: Schema, components: Record<string, Schema>, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = components[schema.$ref.replace('#/components/schemas/', '')];
    if (target === undefined) return [`${path}: unresolved ${schema.$ref}`];
    return validate(value, target, components, path);
  }
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map((option) => validate(value, option, components, path));
    return results.some((errors) => errors.length === 0) ? [] : [`${path}: matches no anyOf option (${results.map((errors) => errors[0]).join(' | ')})`];
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => hasType(value, type))) return [`${path}: ${JSON.stringify(value)} is not ${types.join('|')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, index) => errors.push(...validate(item, schema.items as Schema, components, `${path}[${index}]`)));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(`${path}: missing ${name}`);
    for (const [name, property] of Object.entries(object)) {
      if (properties[name]) errors.push(...validate(property, properties[name], components, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${name}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(property, schema.additionalProperties as Schema, components, `${path}.${name}`));
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}
