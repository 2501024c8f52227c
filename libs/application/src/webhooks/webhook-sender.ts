import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RefusedUrl, type CheckedTarget, type WebhookUrlGuard } from './url-guard.js';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendResult {
  /** The URL that answered last (after redirects). */
  url: string;
  statusCode: number | null;
  retryAfter: string | undefined;
  responseExcerpt: string | null;
  latencyMs: number;
  error: string | null;
}

export interface SenderOptions {
  timeoutMs: number;
  maxRedirects: number;
  excerptBytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A lookup that answers with the address the guard checked, so the socket cannot reach another one. */
const pinnedLookup = (target: CheckedTarget): LookupFunction =>
  ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;

/**
 * Posts a signed webhook: every hop (the URL and each redirect, at most `maxRedirects`) is checked by the
 * guard and connected to the checked address; one overall timeout; the first KiB of the answer is kept.
 */
export class WebhookSender {
  constructor(
    private readonly guard: WebhookUrlGuard,
    private readonly options: SenderOptions,
  ) {}

  async send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const deadline = started + this.options.timeoutMs;
    let url = request.url;
    const elapsed = () => Math.round(performance.now() - started);
    for (let hop = 0; ; hop++) {
      let target: CheckedTarget;
      try {
        target = await this.guard.check(url);
      } catch (error) {
        if (error instanceof RefusedUrl)
          return { url, statusCode: null, retryAfter: undefined, responseExcerpt: null, latencyMs: elapsed(), error: `refused: ${error.reason}` };
        throw error;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) return this.timedOut(url, elapsed());
      let answer: { statusCode: number; headers: IncomingMessage['headers']; excerpt: string };
      try {
        answer = await this.post(target, request, remaining);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { url, statusCode: null, retryAfter: undefined, responseExcerpt: null, latencyMs: elapsed(), error: message };
      }
      const location = answer.headers.location;
      if (REDIRECTS.has(answer.statusCode) && location) {
        if (hop >= this.options.maxRedirects) {
          return {
            url,
            statusCode: answer.statusCode,
            retryAfter: undefined,
            responseExcerpt: answer.excerpt,
            latencyMs: elapsed(),
            error: `more than ${this.options.maxRedirects} redirects`,
          };
        }
        url = new URL(location, url).toString();
        continue;
      }
      const retryAfter = answer.headers['retry-after'];
      return {
        url,
        statusCode: answer.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        responseExcerpt: answer.excerpt,
        latencyMs: elapsed(),
        error: null,
      };
    }
  }

  private timedOut(url: string, latencyMs: number): SendResult {
    return { url, statusCode: null, retryAfter: undefined, responseExcerpt: null, latencyMs, error: `timed out after ${this.options.timeoutMs} ms` };
  }

  private post(
    target: CheckedTarget,
    request: SendRequest,
    timeoutMs: number,
  ): Promise<{ statusCode: number; headers: IncomingMessage['headers']; excerpt: string }> {
    const client = target.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        target.url,
        {
          method: 'POST',
          // No shared agent: a kept-alive socket could belong to an address checked for another request.
          agent: false,
          lookup: pinnedLookup(target),
          headers: { ...request.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body).toString() },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => {
            clearTimeout(timer);
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: res.headers,
              excerpt: Buffer.concat(chunks).subarray(0, this.options.excerptBytes).toString('utf8'),
            });
          };
          res.on('data', (chunk: Buffer) => {
            if (size >= this.options.excerptBytes) return;
            chunks.push(chunk);
            size += chunk.length;
            // The excerpt is all we keep: stop reading a large answer.
            if (size >= this.options.excerptBytes) {
              finish();
              res.destroy();
            }
          });
          res.on('end', finish);
          res.on('error', (error) => {
            clearTimeout(timer);
            if (size < this.options.excerptBytes) reject(error);
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${this.options.timeoutMs} ms`)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(request.body);
    });
  }
}
