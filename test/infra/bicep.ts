import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

/**
 * Bicep read with tree-sitter-bicep (the Bicep CLI cannot be installed here): a syntax check
 * and a small evaluator from the syntax tree to plain values, enough to assert policies on
 * resource bodies. Expressions that are not literals come back as their source text.
 */
export type BicepValue = string | number | boolean | null | BicepValue[] | { [key: string]: BicepValue };

export interface BicepResource {
  symbol: string;
  /** e.g. Microsoft.Storage/storageAccounts, or the child's short type ('tables') when nested. */
  type: string;
  apiVersion: string | null;
  body: Record<string, BicepValue>;
  /** The `if (...)` condition's source, if any. */
  condition: string | null;
  /** Declared with `existing`: a reference, not a deployment. */
  existing: boolean;
  file: string;
}

export interface BicepFile {
  path: string;
  source: string;
  syntaxErrors: string[];
  parameters: { name: string; defaultValue: string | null; decorators: Record<string, BicepValue> }[];
  /** Each `var`'s value expression, to evaluate with evaluateExpression. */
  variables: Record<string, Node>;
  outputs: string[];
  resources: BicepResource[];
  /** Every string literal's text without its quotes (interpolations kept as written). */
  strings: string[];
}

let parser: Promise<Parser> | undefined;

export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    // Bytes, not a path: loading by path takes a dynamic import that jest's VM refuses.
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    const created = new Parser();
    created.setLanguage(language);
    return created;
  })();
  return parser;
}

export function bicepFiles(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.bicep')) found.push(path);
    }
  };
  visit(root);
  return found.sort();
}

export async function parseBicep(path: string, root: string, source = readFileSync(path, 'utf8')): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) throw new Error(`tree-sitter could not parse ${path}`);
  const file = relative(root, path);
  const result: BicepFile = { path: file, source, syntaxErrors: [], parameters: [], variables: {}, outputs: [], resources: [], strings: [] };
  const walk = (node: Node) => {
    if (node.isError || node.isMissing) {
      result.syntaxErrors.push(`${file}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 40))}`}`);
    }
    if (node.type === 'string') result.strings.push(stringText(node));
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  let decorators: Record<string, BicepValue> = {};
  for (const statement of tree.rootNode.namedChildren) {
    if (!statement) continue;
    if (statement.type === 'decorators') {
      decorators = decoratorsOf(statement);
      continue;
    }
    if (statement.type === 'parameter_declaration') {
      const name = statement.namedChildren.find((child) => child?.type === 'identifier')?.text ?? '';
      const value = statement.namedChildren.slice(2).find((child) => child && child.type !== 'type')?.text ?? null;
      result.parameters.push({ name, defaultValue: value, decorators });
    } else if (statement.type === 'variable_declaration') {
      const [name, value] = statement.namedChildren;
      if (name && value) result.variables[name.text] = value;
    } else if (statement.type === 'output_declaration') {
      result.outputs.push(statement.namedChildren.find((child) => child?.type === 'identifier')?.text ?? '');
    } else if (statement.type === 'resource_declaration') {
      collectResource(statement, null, file, result.resources);
    }
    decorators = {};
  }
  return result;
}

/** `@allowed([...])` and `@metadata({...})` as { allowed: [...], metadata: {...} }; a bare `@secure()` as true. */
function decoratorsOf(node: Node): Record<string, BicepValue> {
  const found: Record<string, BicepValue> = {};
  for (const decorator of node.namedChildren) {
    const call = decorator?.namedChildren[0];
    const name = call?.childForFieldName('function')?.text;
    if (!call || !name) continue;
    const argument = call.childForFieldName('arguments')?.namedChildren[0];
    found[name] = argument ? evaluate(argument) : true;
  }
  return found;
}

/** What ARM's functions return in evaluateExpression; uniqueString is replaced by the caller's token. */
export interface ExpressionContext {
  scope: Record<string, BicepValue>;
  uniqueString: string;
}

/**
 * Evaluates the expressions resource names are made of: literals, interpolated strings,
 * variables and parameters from `scope`, member access, the ternary operator, `==`, and the
 * string functions toLower, replace, take, endsWith and uniqueString. Anything else throws,
 * so a name built some other way is noticed rather than guessed.
 */
export function evaluateExpression(node: Node, context: ExpressionContext): BicepValue {
  const recurse = (child: Node | null | undefined): BicepValue => {
    if (!child) throw new Error(`incomplete expression: ${node.text}`);
    return evaluateExpression(child, context);
  };
  switch (node.type) {
    case 'string':
      return node.namedChildren
        .map((part) => (part?.type === 'interpolation' ? String(recurse(part.namedChildren[0])) : part?.type === 'escape_sequence' ? part.text.slice(1) : (part?.text ?? '')))
        .join('');
    case 'number':
    case 'boolean':
    case 'null':
      return evaluate(node);
    case 'identifier': {
      if (!(node.text in context.scope)) throw new Error(`no value for ${node.text}`);
      return context.scope[node.text] ?? null;
    }
    case 'parenthesized_expression':
      return recurse(node.namedChildren[0]);
    case 'member_expression': {
      const object = recurse(node.childForFieldName('object'));
      const property = node.childForFieldName('property')?.text ?? '';
      if (object === null || typeof object !== 'object' || Array.isArray(object) || !(property in object)) throw new Error(`no ${property} in ${node.text}`);
      return object[property] ?? null;
    }
    case 'ternary_expression':
      return recurse(node.childForFieldName('condition')) === true ? recurse(node.childForFieldName('consequence')) : recurse(node.childForFieldName('alternative'));
    case 'binary_expression': {
      const [left, right] = node.namedChildren;
      const operator = node.children.find((child) => child && !child.isNamed)?.text;
      if (operator === '==') return recurse(left) === recurse(right);
      if (operator === '!=') return recurse(left) !== recurse(right);
      throw new Error(`operator ${operator ?? '?'} in ${node.text}`);
    }
    case 'call_expression': {
      const name = node.childForFieldName('function')?.text ?? '';
      const args = (node.childForFieldName('arguments')?.namedChildren ?? []).map(recurse);
      const text = (index: number): string => {
        const value = args[index];
        if (typeof value !== 'string') throw new Error(`${name}() argument ${index + 1} is not a string in ${node.text}`);
        return value;
      };
      switch (name) {
        case 'toLower':
          return text(0).toLowerCase();
        case 'replace':
          return text(0).split(text(1)).join(text(2));
        case 'take':
          return text(0).slice(0, Number(args[1]));
        case 'endsWith':
          return text(0).endsWith(text(1));
        case 'uniqueString':
          return context.uniqueString;
        case 'subscription':
          return { id: '/subscriptions/00000000-0000-0000-0000-000000000000', tenantId: '00000000-0000-0000-0000-000000000000' };
        default:
          throw new Error(`function ${name}() in ${node.text}`);
      }
    }
    default:
      throw new Error(`cannot evaluate ${node.type}: ${node.text}`);
  }
}

function collectResource(node: Node, parentType: string | null, file: string, into: BicepResource[]): void {
  const named = node.namedChildren.filter((child): child is Node => child !== null);
  const symbol = named.find((child) => child.type === 'identifier')?.text ?? '';
  const typeString = named.find((child) => child.type === 'string');
  const [type = '', apiVersion = null] = typeString ? stringText(typeString).split('@') : [];
  const ifNode = named.find((child) => child.type === 'if_statement');
  const bodyNode = ifNode ? ifNode.namedChildren.find((child) => child?.type === 'object') : named.find((child) => child.type === 'object' || child.type === 'for_statement');
  const fullType = parentType !== null && !type.includes('/') ? `${parentType}/${type}` : type;
  const objectNode = bodyNode?.type === 'for_statement' ? bodyNode.namedChildren.find((child) => child?.type === 'object') : bodyNode;
  const body = objectNode ? (evaluate(objectNode) as Record<string, BicepValue>) : {};
  const existing = node.children.some((child) => child?.type === 'existing');
  into.push({ symbol, type: fullType, apiVersion, body, condition: ifNode ? (ifNode.namedChildren[0]?.text ?? null) : null, existing, file });
  if (objectNode) {
    for (const property of objectNode.namedChildren) {
      const nested = property?.namedChildren.find((child) => child?.type === 'resource_declaration');
      if (property?.type === 'resource_declaration') collectResource(property, fullType, file, into);
      else if (nested) collectResource(nested, fullType, file, into);
    }
  }
}

function stringText(node: Node): string {
  const text = node.text;
  if (text.startsWith("'''")) return text.slice(3, -3);
  return text.slice(1, -1);
}

export function evaluate(node: Node): BicepValue {
  switch (node.type) {
    case 'object': {
      const value: Record<string, BicepValue> = {};
      for (const property of node.namedChildren) {
        if (!property || property.type !== 'object_property') continue;
        const [key, valueNode] = property.namedChildren;
        if (!key || !valueNode) continue;
        value[key.type === 'string' ? stringText(key) : key.text] = evaluate(valueNode);
      }
      return value;
    }
    case 'array':
      return node.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment').map(evaluate);
    case 'string':
      return stringText(node);
    case 'boolean':
      return node.text === 'true';
    case 'number':
      return Number(node.text);
    case 'null':
      return null;
    default:
      return node.text;
  }
}
