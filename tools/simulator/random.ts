/*
 * Stateless, seeded randomness: every value is a hash of its coordinates (seed, salt,
 * customer, day...), so any customer on any day is computed directly, in any order,
 * without replaying the days before it.
 */

/*
 * Global lookups such as `imul` are ~50 times slower inside jest's VM context than in
 * a plain process; the hot paths bind them once.
 */
const { imul, floor } = Math;

/** A 32-bit avalanche hash of integer coordinates (murmur3 mixing). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9 ^ parts.length;
  for (let i = 0; i < parts.length; i++) {
    let k = imul((parts[i] as number) | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) from the coordinates. */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 0x100000000;
}

/** A uniform integer in [min, max] from the coordinates. */
export function between(min: number, max: number, ...parts: number[]): number {
  return min + (hash32(...parts) % (max - min + 1));
}

/** A version-4-shaped GUID from the coordinates. */
export function guid(...parts: number[]): string {
  const words = [0, 1, 2, 3].map((i) => hash32(...parts, i).toString(16).padStart(8, '0'));
  const hex = words.join('');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Index of the piecewise-constant epoch that `day` falls in, for a period and phase. */
export function epochOf(day: number, period: number, phase: number): number {
  return floor((day + phase) / period);
}
