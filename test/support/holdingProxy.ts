import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * An HTTP proxy in front of a storage endpoint (Azurite's tables) that forwards every request,
 * except one a test asks it to catch: that request is held and never forwarded, so the process that
 * sent it is provably between two steps (what it read before, and the write it is waiting on) when
 * the test kills it.
 */

interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export interface HoldingProxy {
  /** Where the proxy listens, on 127.0.0.1. */
  port: number;
  /** Holds the next request `matches` accepts, never forwarding it; resolves when it arrives. */
  holdNext(matches: (request: ProxiedRequest) => boolean): Promise<ProxiedRequest>;
  /** Resolves once no request is being received or forwarded (held ones aside): what a killed client sent has landed or never will. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
    // A client killed mid-body: nothing to forward.
    incoming.once('close', () => reject(new Error('the client went away')));
  });
}

export async function startHoldingProxy(target: { hostname: string; port: number }): Promise<HoldingProxy> {
  let catcher: { matches: (request: ProxiedRequest) => boolean; caught: (request: ProxiedRequest) => void } | null = null;
  let busy = 0;
  const server = createServer((incoming, outgoing) => {
    busy += 1;
    const done = (): void => void (busy -= 1);
    void readBody(incoming).then((body) => {
      const proxied = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', body: body.toString('utf8') };
      if (catcher?.matches(proxied)) {
        catcher.caught(proxied);
        catcher = null;
        return done();
      }
      const forwarded = request({ hostname: target.hostname, port: target.port, method: proxied.method, path: proxied.path, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.once('end', done);
      });
      forwarded.once('error', () => {
        outgoing.destroy();
        done();
      });
      forwarded.end(body);
    }, () => {
      outgoing.destroy();
      done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo; // listen() on a TCP port gives an AddressInfo
  return {
    port,
    holdNext: (matches) => new Promise((caught) => (catcher = { matches, caught })),
    idle: async () => {
      const limit = Date.now() + 10_000;
      while (busy > 0) {
        if (Date.now() > limit) throw new Error(`the proxy still has ${busy} request(s) in progress after 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
