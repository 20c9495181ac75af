import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Where a paged read stands: the collection, the day it started on, the next offset. */
interface PagePosition {
  collection: string;
  day: number;
  offset: number;
}

/**
 * Opaque, tamper-evident paging tokens ($skiptoken, MS-ContinuationToken). They pin the
 * simulated day, so a read that spans a day change stays consistent.
 */
export class PageTokens {
  private readonly key = randomBytes(32);

  encode(position: PagePosition): string {
    const payload = Buffer.from(JSON.stringify([position.collection, position.day, position.offset])).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The position, or undefined when the token is malformed or was altered. */
  decode(token: string): PagePosition | undefined {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const [collection, day, offset] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, number, number];
    return { collection, day, offset };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }
}
