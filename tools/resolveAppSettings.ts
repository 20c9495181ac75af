/**
 * Replaces `%NAME%` references with app settings, as the Functions host does for binding
 * properties such as a timer's schedule. A reference to an unset setting is an error there too.
 */
export function resolveAppSettings(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/%([^%]+)%/g, (_reference, name: string) => {
    const setting = env[name];
    if (setting === undefined || setting.trim() === '') throw new Error(`'%${name}%' does not resolve to a value (app setting ${name} is not set)`);
    return setting;
  });
}
