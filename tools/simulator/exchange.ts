import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatedService } from './types';

/** One request and its response, with the helpers every route uses. */
export class Exchange {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: URL,
    readonly service: SimulatedService,
    readonly body: Buffer,
    private readonly onAnswer: (status: number) => void,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** Path and query as sent (what faults match on). */
  get pathAndQuery(): string {
    return this.url.pathname + this.url.search;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  get answered(): boolean {
    return this.res.headersSent;
  }

  private answerLost = false;

  /** The route still does its work, but its answer never arrives: the connection is dropped instead. */
  loseAnswer(): void {
    this.answerLost = true;
  }

  private answerHeld = false;

  /**
   * The route still does its work, but its answer is held back: the connection stays open and
   * unanswered (the request in flight) until the client closes it. A client killed while it waits
   * for the answer to a create that happened.
   */
  holdAnswer(): void {
    this.answerHeld = true;
  }

  /** Answers with JSON (objects) or text as is; undefined sends no body. */
  send(status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const contentType: Record<string, string> = body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' };
    this.sendRaw(status, text, { ...contentType, ...headers });
  }

  sendRaw(status: number, text: string, headers: Record<string, string>): void {
    if (this.answered) return;
    if (this.answerLost) {
      this.res.destroy();
      return;
    }
    if (this.answerHeld) return;
    this.onAnswer(status);
    this.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
    this.res.end(text);
  }
}
