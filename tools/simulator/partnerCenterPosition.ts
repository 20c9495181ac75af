import type { SimulatorContext } from './context';
import { partnerCenterError } from './errorBodies';
import type { Exchange } from './exchange';

/**
 * Where a Partner Center seek read stands: the first page of the current day, or the position its
 * `MS-ContinuationToken` carries. Null when the token is not one issued for `collection`: the
 * 400 Partner Center gives has then been sent.
 */
export function partnerCenterPosition(ex: Exchange, ctx: SimulatorContext, collection: string, headers: Record<string, string>): { day: number; offset: number } | null {
  const continuation = ex.header('ms-continuationtoken');
  if (continuation === undefined) return { day: ctx.clock.day, offset: 0 };
  const position = ctx.pageTokens.decode(continuation);
  if (!position || position.collection !== collection) {
    ex.send(400, partnerCenterError(400, 'The continuation token is invalid.', 400_013), headers);
    return null;
  }
  return { day: position.day, offset: position.offset };
}
