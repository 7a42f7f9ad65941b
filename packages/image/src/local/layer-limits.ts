import { TscrError } from '@tscr/api';

/**
 * Bounds on what one layer may unpack to, so a hostile layer (a compression
 * bomb, millions of empty entries) fails cleanly instead of filling the disk.
 * Counted on the uncompressed tar stream, headers and padding included.
 */
export interface LayerLimits {
  /** Bytes of uncompressed tar one layer may hold. Default {@link DEFAULT_LAYER_LIMITS}.maxBytes (64 GiB). */
  maxBytes?: number;
  /** Entries one layer may hold. Default {@link DEFAULT_LAYER_LIMITS}.maxEntries (4 million). */
  maxEntries?: number;
}

/** The limits used where none are configured. */
export const DEFAULT_LAYER_LIMITS: Readonly<Required<LayerLimits>> = {
  maxBytes: 64 * 1024 ** 3,
  maxEntries: 4_000_000,
};

/** The error of a layer past a limit: ResourceExhausted with `details.limit` and `details.value`. */
export function layerTooLarge(what: string, limit: 'maxBytes' | 'maxEntries', value: number): TscrError {
  const unit = limit === 'maxBytes' ? 'bytes' : 'entries';
  return new TscrError(
    'ResourceExhausted',
    `${what} unpacks to more than ${value} ${unit} (the layer limit ${limit})`,
    {
      details: { limit, value: String(value) },
    },
  );
}
