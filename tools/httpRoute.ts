/** Matches a request path (below the `/api/` prefix) and returns its route parameters. */
export type RouteMatcher = (path: string) => Record<string, string> | undefined;

/**
 * Compiles an Azure Functions route template: literal segments (case-insensitive, as ASP.NET
 * routing is), `{name}`, a trailing optional `{name?}` and a trailing catch-all `{*name}`.
 * Inline constraints (`{id:int}`) are accepted but not checked locally.
 */
export function compileRoute(template: string): RouteMatcher {
  const segments = template.split('/').filter(Boolean);
  return (path) => {
    const parts = path.split('/').filter(Boolean).map(decodeSegment);
    if (parts.includes(undefined)) return undefined;
    const params: Record<string, string> = {};
    for (const [index, segment] of segments.entries()) {
      const parameter = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\??)\}$/.exec(segment);
      const part = parts[index];
      if (parameter === null) {
        if (part === undefined || part.toLowerCase() !== segment.toLowerCase()) return undefined;
        continue;
      }
      const [, catchAll, name = '', optional] = parameter;
      if (catchAll) {
        const rest = parts.slice(index).join('/');
        if (rest !== '') params[name] = rest;
        return params;
      }
      if (part === undefined) return optional ? params : undefined;
      params[name] = part;
    }
    return parts.length === segments.length ? params : undefined;
  };
}

/** A malformed escape (`%E0%A4%A`) matches no route rather than failing the request. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
