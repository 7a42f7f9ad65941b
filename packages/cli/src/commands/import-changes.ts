import { isInvalidArgument, type ImageConfig } from '@tscr/api';
import { applyImageChanges } from '@tscr/image';
import { usageError } from '../args.js';

/**
 * `--change` instructions over `config` ({@link applyImageChanges}); a bad
 * one is a usage error of the command.
 */
export function applyChanges(changes: readonly string[], config: ImageConfig = {}): ImageConfig {
  try {
    return applyImageChanges(changes, config);
  } catch (err) {
    if (isInvalidArgument(err)) throw usageError((err as Error).message);
    throw err;
  }
}
