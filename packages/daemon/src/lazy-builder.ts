/**
 * The builder, loaded on its first build: `@tscr/builder/local` (the Dockerfile
 * parser, the layer cache, its own copy of `tar`) is ~0.6 MiB of an idle daemon's
 * heap that most daemons never use. The gRPC service is registered at start-up
 * as before; only the implementation waits.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildEvent, BuildOptions, BuilderService } from '@tscr/builder';
import type { LocalBuilderOptions } from '@tscr/builder/local';

/** What {@link LazyBuilder} needs of the real builder. */
export interface RecoverableBuilder extends BuilderService {
  /** Removes what builds a crash interrupted left behind. */
  recover(): Promise<void>;
}

/** Makes the real builder; by default requires `@tscr/builder/local`. */
export type BuilderFactory = (options: LocalBuilderOptions) => Promise<RecoverableBuilder>;

const loadLocalBuilder: BuilderFactory = async (options) => {
  const { createLocalBuilder } = await import('@tscr/builder/local');
  return createLocalBuilder(options);
};

/** A {@link BuilderService} that loads the local builder on first use. */
export class LazyBuilder implements RecoverableBuilder {
  private real: Promise<RecoverableBuilder> | undefined;

  constructor(
    private readonly options: LocalBuilderOptions,
    private readonly factory: BuilderFactory = loadLocalBuilder,
  ) {}

  /** True once the real builder has been asked for (for tests and diagnostics). */
  get loaded(): boolean {
    return this.real !== undefined;
  }

  private builder(): Promise<RecoverableBuilder> {
    this.real ??= this.factory(this.options);
    return this.real;
  }

  build(context: AsyncIterable<Uint8Array>, opts?: BuildOptions): AsyncIterable<BuildEvent> {
    const builder = () => this.builder();
    return {
      async *[Symbol.asyncIterator]() {
        yield* (await builder()).build(context, opts);
      },
    };
  }

  /**
   * Recovers interrupted builds at start-up without loading the builder when
   * there is nothing to recover: every build works in a scratch directory under
   * `<stateDir>/tmp` made before its first snapshot or task and removed after
   * them, so an empty (or missing) `tmp` means no build was interrupted. The
   * first build runs the same clean-up anyway.
   */
  async recover(): Promise<void> {
    const scratch = await readdir(join(this.options.stateDir, 'tmp')).catch(() => [] as string[]);
    if (scratch.length === 0 && !this.loaded) return;
    await (await this.builder()).recover();
  }
}
