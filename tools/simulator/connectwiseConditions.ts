/*
 * The part of ConnectWise PSA's `conditions` grammar the monitor uses, as "PSA API Requests"
 * (developer.connectwise.com) describes it: `field operator value`, fields of child objects by
 * a slash (`board/name`), strings in double quotes, `like` with `%` wildcards, joined by `and`
 * and `or`, grouped by parentheses. A quote inside a string is escaped with a backslash.
 *
 * Comparisons ignore case and `like` follows SQL Server's LIKE (`%`, `_` and `[...]` classes):
 * ConnectWise PSA keeps its data in SQL Server with its default case-insensitive collation. That
 * is how instances behave, not a documented rule: the simulator makes a pattern that leans on
 * another reading fail here first.
 */

type Condition =
  | { kind: 'compare'; field: string; operator: '=' | '!=' | 'like' | 'contains'; value: string | number | boolean | null }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

export class ConditionSyntaxError extends Error {}

type Token = { type: 'word' | 'string' | 'op' | 'open' | 'close'; text: string };

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? '';
    if (/\s/.test(char)) {
      at++;
    } else if (char === '(' || char === ')') {
      out.push({ type: char === '(' ? 'open' : 'close', text: char });
      at++;
    } else if (char === '"') {
      let value = '';
      at++;
      for (;;) {
        if (at >= text.length) throw new ConditionSyntaxError('a string is not closed by a double quote');
        const next = text[at] ?? '';
        if (next === '\\' && at + 1 < text.length) {
          value += text[at + 1];
          at += 2;
        } else if (next === '"') {
          at++;
          break;
        } else {
          value += next;
          at++;
        }
      }
      out.push({ type: 'string', text: value });
    } else if (/[=!<>]/.test(char)) {
      const op = /^(!=|<=|>=|=|<|>)/.exec(text.slice(at))?.[0];
      if (op === undefined) throw new ConditionSyntaxError(`unexpected "${char}"`);
      out.push({ type: 'op', text: op });
      at += op.length;
    } else {
      const word = /^[^\s()="!<>]+/.exec(text.slice(at))?.[0] ?? char;
      out.push({ type: 'word', text: word });
      at += word.length;
    }
  }
  return out;
}

/** Parses a `conditions` value; throws ConditionSyntaxError when it is not of the grammar. */
export function parseConditions(text: string): Condition {
  const list = tokens(text);
  let at = 0;
  const peek = () => list[at];
  const take = () => {
    const token = list[at++];
    if (token === undefined) throw new ConditionSyntaxError('the conditions end too early');
    return token;
  };
  const isWord = (token: Token | undefined, word: string) => token?.type === 'word' && token.text.toLowerCase() === word;

  function orExpression(): Condition {
    let left = andExpression();
    while (isWord(peek(), 'or')) {
      take();
      left = { kind: 'or', left, right: andExpression() };
    }
    return left;
  }
  function andExpression(): Condition {
    let left = term();
    while (isWord(peek(), 'and')) {
      take();
      left = { kind: 'and', left, right: term() };
    }
    return left;
  }
  function term(): Condition {
    const first = take();
    if (first.type === 'open') {
      const inner = orExpression();
      if (take().type !== 'close') throw new ConditionSyntaxError('a parenthesis is not closed');
      return inner;
    }
    if (first.type !== 'word') throw new ConditionSyntaxError(`a field name was expected, not "${first.text}"`);
    const operatorToken = take();
    const operator = operatorToken.type === 'op' ? operatorToken.text : operatorToken.text.toLowerCase();
    if (operator !== '=' && operator !== '!=' && operator !== 'like' && operator !== 'contains') {
      throw new ConditionSyntaxError(`operator "${operatorToken.text}" is not simulated`);
    }
    const valueToken = take();
    let value: string | number | boolean | null;
    if (valueToken.type === 'string') value = valueToken.text;
    else if (isWord(valueToken, 'true') || isWord(valueToken, 'false')) value = valueToken.text.toLowerCase() === 'true';
    else if (isWord(valueToken, 'null')) value = null;
    else if (valueToken.type === 'word' && /^-?\d+(\.\d+)?$/.test(valueToken.text)) value = Number(valueToken.text);
    else throw new ConditionSyntaxError(`"${valueToken.text}": strings are written in double quotes`);
    return { kind: 'compare', field: first.text, operator, value };
  }

  const condition = orExpression();
  if (at < list.length) throw new ConditionSyntaxError(`unexpected "${list[at]?.text ?? ''}"`);
  return condition;
}

/** A field of a record as served, by its slash path (`board/name`). */
function fieldOf(record: unknown, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** SQL Server's LIKE as a regular expression: `%` any run, `_` one character, `[...]` a class. */
function likePattern(pattern: string): RegExp {
  let source = '';
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at] ?? '';
    if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', at + 1);
      if (end === -1) return /(?!)/; // SQL Server matches nothing with an unclosed class
      const inside = pattern.slice(at + 1, end);
      source += inside.startsWith('^') ? `[^${escapeClass(inside.slice(1))}]` : `[${escapeClass(inside)}]`;
      at = end;
    } else source += char.replace(/[.*+?^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

function escapeClass(inside: string): string {
  return inside.replace(/[\\\]^]/g, '\\$&');
}

export function matches(record: unknown, condition: Condition): boolean {
  if (condition.kind !== 'compare') {
    return condition.kind === 'and' ? matches(record, condition.left) && matches(record, condition.right) : matches(record, condition.left) || matches(record, condition.right);
  }
  const actual = fieldOf(record, condition.field);
  const { operator, value } = condition;
  if (operator === 'like' || operator === 'contains') {
    if (typeof actual !== 'string' || typeof value !== 'string') return false;
    return operator === 'like' ? likePattern(value).test(actual) : actual.toLowerCase().includes(value.toLowerCase());
  }
  const equal = typeof actual === 'string' && typeof value === 'string' ? actual.toLowerCase() === value.toLowerCase() : (actual ?? null) === value;
  return operator === '=' ? equal : !equal;
}
