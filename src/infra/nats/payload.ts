import type { NatsConnection } from '@nats-io/transport-node';

/** The broker would refuse this message: it is larger than the server's `max_payload`. */
export class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
  readonly code = 'PayloadTooLarge';
  /** What was about to be published (`a commit to job-echo`), for the message. */
  readonly what: string;
  /** Bytes the message would take (body plus the headers we add). */
  readonly size: number;
  /** The broker's `max_payload`. */
  readonly limit: number;
  constructor(what: string, size: number, limit: number) {
    super(`${what} is ${size} bytes, over the broker's max_payload of ${limit} bytes: it was not published`);
    this.what = what;
    this.size = size;
    this.limit = limit;
  }
}

// nats-server's default, used only if the INFO block has none (it always has on 2.9).
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The largest message (headers and body) the connected broker accepts. */
export const maxPayloadOf = (nc: Pick<NatsConnection, 'info'>): number => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;

/**
 * Throws PayloadTooLarge when `bytes` would not fit the broker's max_payload. Checked before
 * publishing, so an oversized message fails with its size and the limit instead of the client's
 * generic "max_payload size exceeded" (or, worse, a half-done multi-message write).
 */
export const assertFitsPayload = (nc: Pick<NatsConnection, 'info'>, bytes: number, what: string): void => {
  const limit = maxPayloadOf(nc);
  if (bytes > limit) throw new PayloadTooLarge(what, bytes, limit);
};
