import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { internal, invalidArgument, unimplemented } from '@tscr/api';
import { findCommand } from './commands.js';

/** How a layer blob is compressed. */
export type Compression = 'none' | 'gzip' | 'zstd';

/** Media types of image layers (OCI, OCI non-distributable, Docker schema2). */
const LAYER_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar)(?:[+.](?:gzip|zstd))?$/;

/** True for a layer media type (`application/vnd.oci.image.layer.v1.tar+gzip`, Docker's `…rootfs.diff.tar.gzip`, …). */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_TYPE.test(mediaType);
}

/** Decompressed bytes pass through this zlib/zstd read size. */
const CHUNK = 1 << 20;

/**
 * The compression of a stream, told by its first bytes (gzip `1f 8b`, zstd
 * `28 b5 2f fd`), as Docker does, so a mislabeled layer still unpacks.
 */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * A stream that decompresses `kind`: zlib for gzip, `zstd -dc` (a child
 * process) for zstd, a pass-through for none.
 * @throws Unimplemented for zstd when the `zstd` command is not installed.
 */
export function decompressor(kind: Compression): Duplex {
  if (kind === 'gzip') return createGunzip({ chunkSize: CHUNK });
  if (kind === 'none') return new PassThrough({ highWaterMark: CHUNK });
  const zstd = findCommand('zstd');
  if (!zstd) throw unimplemented('zstd layers (the zstd command is not installed)');
  return zstdStream(zstd);
}

function zstdStream(bin: string): Duplex {
  const child = spawn(bin, ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (err) => duplex.destroy(internal(`cannot run ${bin}`, { cause: err })));
  child.on('exit', (code, signal) => {
    if (code !== 0 && !duplex.destroyed && signal !== 'SIGKILL') {
      duplex.destroy(invalidArgument(`layer blob is not valid zstd (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    }
  });
  duplex.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return duplex;
}
