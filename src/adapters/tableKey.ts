/**
 * Table Storage forbids `/ \ # ?` and control characters in PartitionKey and RowKey.
 * Forbidden characters (and `%`, so the encoding is reversible) become `%XX`; GUIDs and
 * run ids pass through unchanged, so keys stay readable in Storage Explorer.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const forbidden = /[/\\#?%\u0000-\u001f\u007f-\u009f]/g;

export function toTableKey(value: string): string {
  return value.replace(forbidden, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function fromTableKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
