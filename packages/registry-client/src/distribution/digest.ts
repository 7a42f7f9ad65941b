import { createHash, type Hash } from 'node:crypto';
import { invalidArgument, isTscrError } from '@tscr/api';
import { dataLoss, resourceExhausted } from '../errors.js';

const ALGORITHMS: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A hash for `digest`'s algorithm (sha256 or sha512).
 * @throws InvalidArgument for an unsupported algorithm or malformed digest.
 */
export function hasherFor(digest: string): Hash {
  const [alg = '', hex = ''] = digest.split(':');
  const shape = ALGORITHMS[alg];
  if (!shape) throw invalidArgument(`unsupported digest algorithm in ${digest}`, { details: { digest } });
  if (!shape.test(hex)) throw invalidArgument(`malformed digest ${digest}`, { details: { digest } });
  return createHash(alg);
}

/** The digest of `bytes` in `like`'s algorithm. */
export function digestLike(like: string, bytes: Uint8Array): string {
  return `${like.split(':')[0]}:${hasherFor(like).update(bytes).digest('hex')}`;
}

/** What {@link verifyStream} checks content against. */
export interface Expected {
  digest: string;
  size: number;
}

/**
 * Passes `source` through while hashing and counting it. Never reads past
 * `expected.size` bytes. Chunks are yielded before the end is verified, so a
 * consumer must keep what it wrote provisional until the iteration ends
 * without an error.
 * @param what names the content in errors (a reference or repository).
 * @throws DataLoss (`details.digest` = the digest that lied, `details.actual`)
 *   when the content is longer than declared, cut short, or hashes differently.
 */
export async function* verifyStream(
  source: AsyncIterable<Uint8Array>,
  expected: Expected,
  what: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = hasherFor(expected.digest);
  const details = { ref: what, digest: expected.digest, size: String(expected.size) };
  let seen = 0;
  try {
    for await (const chunk of source) {
      seen += chunk.byteLength;
      if (seen > expected.size) {
        throw dataLoss(`${expected.digest} from ${what} is longer than its declared ${expected.size} bytes`, {
          details,
        });
      }
      hash.update(chunk);
      yield chunk;
    }
  } catch (err) {
    if (isTscrError(err) && (err.code === 'DataLoss' || err.code === 'Cancelled')) throw err;
    throw dataLoss(`${expected.digest} from ${what} was cut short after ${seen} of ${expected.size} bytes`, {
      cause: err,
      details: { ...details, received: String(seen) },
    });
  }
  if (seen < expected.size) {
    throw dataLoss(`${expected.digest} from ${what} was cut short after ${seen} of ${expected.size} bytes`, {
      details: { ...details, received: String(seen) },
    });
  }
  const actual = `${expected.digest.split(':')[0]}:${hash.digest('hex')}`;
  if (actual !== expected.digest) {
    throw dataLoss(`content of ${what} does not match its digest ${expected.digest} (got ${actual})`, {
      details: { ...details, actual },
    });
  }
}

/**
 * Reads `source` into memory, refusing more than `limit` bytes.
 * @throws ResourceExhausted (`details.ref`, `details.limit`) past the limit.
 */
export async function readLimited(source: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of source) {
    n += chunk.byteLength;
    if (n > limit) throw tooLarge(what, limit);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** ResourceExhausted for content of `what` over `limit` bytes. */
export function tooLarge(what: string, limit: number) {
  return resourceExhausted(`${what} is larger than the ${limit}-byte limit`, {
    details: { ref: what, limit: String(limit) },
  });
}
