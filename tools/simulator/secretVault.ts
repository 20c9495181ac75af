import { randomBytes } from 'node:crypto';

export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  contentType: string | undefined;
  tags: Record<string, string> | undefined;
  /** Unix seconds, as Key Vault's attributes carry them. */
  created: number;
  /** `attributes.exp`: the expiry the writer recorded (Unix seconds), if any. */
  expires: number | undefined;
  /** `attributes.enabled`: Key Vault refuses to read a disabled version's value. */
  enabled: boolean;
}

/** What a writer may set besides the value (Set Secret's body). */
interface SecretWriteOptions {
  contentType?: string;
  tags?: Record<string, string>;
  expires?: number;
  enabled?: boolean;
}

/**
 * The secrets of the simulated Key Vault: every write adds a version, reads without a version
 * return the newest. Key Vault has no conditional write, so neither does this.
 */
export class SecretVault {
  private readonly secrets = new Map<string, SecretVersion[]>();

  set(name: string, value: string, options: SecretWriteOptions = {}): SecretVersion {
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    const version: SecretVersion = {
      name,
      version: randomBytes(16).toString('hex'),
      value,
      contentType: options.contentType,
      tags: options.tags,
      created: Math.floor(Date.now() / 1000),
      expires: options.expires,
      enabled: options.enabled ?? true,
    };
    versions.push(version);
    this.secrets.set(name.toLowerCase(), versions);
    return { ...version };
  }

  /** The newest version, or the named one. */
  get(name: string, version?: string): SecretVersion | undefined {
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    const found = version === undefined ? versions[versions.length - 1] : versions.find((candidate) => candidate.version === version);
    return found && { ...found };
  }

  /** Every secret that has a version, by its name as first written. */
  names(): string[] {
    return [...this.secrets.values()].map((versions) => versions[0]!.name);
  }

  /** Oldest first. */
  versions(name: string): SecretVersion[] {
    return (this.secrets.get(name.toLowerCase()) ?? []).map((version) => ({ ...version }));
  }
}
