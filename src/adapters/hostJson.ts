import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPlainObject } from '../core/payloadReader';

let functionTimeout: { value: unknown } | undefined;

/**
 * The `functionTimeout` of the app's host.json (the app root: above src/ in development,
 * above dist/src/ when deployed), read once; undefined when there is none.
 */
export function hostFunctionTimeout(): unknown {
  functionTimeout ??= { value: readFunctionTimeout() };
  return functionTimeout.value;
}

function readFunctionTimeout(): unknown {
  for (let directory = __dirname, depth = 0; depth < 4; directory = dirname(directory), depth += 1) {
    let text: string;
    try {
      text = readFileSync(join(directory, 'host.json'), 'utf8');
    } catch {
      continue;
    }
    const hostJson: unknown = JSON.parse(text);
    return isPlainObject(hostJson) ? hostJson.functionTimeout : undefined;
  }
  return undefined;
}
