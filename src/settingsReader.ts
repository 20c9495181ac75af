import { settingDocs } from './settingDocs';

/** The settings as the process has them (or a test gives them): by name, each text or absent. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads settings one by one, each by the rule its kind follows, collecting every problem instead
 * of stopping at the first (its caller throws them, or lists them), so that one error names them all. A problem names its setting first
 * (configurationProblems finds the setting that way) and never quotes a value: values may be secret.
 */
export class SettingsReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  optional(name: string): string | null {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? null : value;
  }

  /** The setting, else its documented default: a setting read this way must document one, set or not. */
  withDefault(name: string): string {
    const fallback = settingDocs.find((doc) => doc.name === name)?.default;
    if (fallback === undefined) throw new Error(`Setting ${name} has no documented default`);
    return this.optional(name) ?? fallback;
  }

  optionalUrl(name: string, options: { https: boolean }): string | null {
    const value = this.optional(name);
    if (value === null) return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problem(`${name} is not a valid URL`);
      return null;
    }
    if (options.https && url.protocol !== 'https:') {
      this.problem(`${name} must be an https:// URL (tokens are never sent over plain http)`);
      return null;
    }
    return value;
  }

  /** An https:// URL other URLs are built on, without its trailing slashes; null, with a problem naming `requiredWith`, when unset. */
  requiredBaseUrl(name: string, requiredWith: string): string | null {
    const url = this.optionalUrl(name, { https: true });
    if (url === null && this.optional(name) === null) this.problem(`${name} is required with ${requiredWith}`);
    return url === null ? null : withoutTrailingSlash(url);
  }

  /** The name of a Key Vault secret: 1-127 letters, digits or dashes. */
  secretName(name: string, value: string): string {
    if (!/^[0-9A-Za-z-]{1,127}$/.test(value)) this.problem(`${name} must be 1-127 letters, digits or dashes (a Key Vault secret name)`);
    return value;
  }

  /** One of a few words: the first is the documented default, kept (with a problem) when the value is none of them. */
  oneOf<T extends string>(name: string, choices: readonly [T, ...T[]]): T {
    const value = this.withDefault(name);
    const chosen = choices.find((choice) => choice === value);
    if (chosen === undefined) this.problem(`${name} must be ${choices.join(' or ')}`);
    return chosen ?? choices[0];
  }

  boolean(name: string): boolean {
    const raw = this.withDefault(name).toLowerCase();
    if (raw !== 'true' && raw !== 'false') this.problem(`${name} must be true or false`);
    return raw === 'true';
  }

  optionalInteger(name: string, min: number, max: number): number | null {
    const raw = this.optional(name);
    return raw === null ? null : this.integer(name, min, max, raw);
  }

  integer(name: string, min: number, max: number, raw: string = this.withDefault(name)): number {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problem(`${name} must be a whole number from ${min} to ${max}`);
      return Number(settingDocs.find((doc) => doc.name === name)?.default);
    }
    return value;
  }
}

export function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
