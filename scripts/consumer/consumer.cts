// A CommonJS consumer (a .cts file: TypeScript checks it as require()s) of the published packages.
import { isNotFound, notFound, type ContainerInfo } from '@tscr/api';
import { imagesV1, type runtimeV1 } from '@tscr/api/grpc';
import type { ContainerService } from '@tscr/container';
import type { NetworkService } from '@tscr/network';
import { parseReference } from '@tscr/registry-client';
import type { ExecSpec } from '@tscr/runtime';
import type { LocalTaskRuntimeOptions } from '@tscr/runtime/local';
import type { GrpcVolumeService } from '@tscr/volume/grpc';

const config: imagesV1.ImageConfig = imagesV1.ImageConfig.fromJSON({ cmd: ['sh'] });
const top: runtimeV1.TopTaskRequest = { id: 'c1' };
const info: Pick<ContainerInfo, 'id'> = { id: 'c1' };
const exec: ExecSpec = { id: 'e1', args: ['sh'], terminal: true };
const opts: LocalTaskRuntimeOptions = { stateDir: '/tmp/x' };
type Services = [ContainerService, NetworkService, GrpcVolumeService];

export const used: unknown[] = [
  config, top, info, exec, opts, isNotFound(notFound('x')), parseReference('busybox').path,
  null as unknown as Services,
];
