// An ESM consumer of the published packages (type-checked with module/moduleResolution nodenext):
// types from several packages, proto messages as types and values, entry points by role.
import { type ContainerConfig, type SystemService, TscrError, isNotFound, notFound } from '@tscr/api';
import { GrpcSystemService, imagesV1, runtimeV1 } from '@tscr/api/grpc';
import { DockerIgnore, type BuildOptions } from '@tscr/builder';
import type { ContainerService, CreateContainerRequest } from '@tscr/container';
import type { GrpcContainerService } from '@tscr/container/grpc';
import { parseCommandLine } from '@tscr/daemon';
import type { DockerApiBackends } from '@tscr/docker-api';
import type { ImageService } from '@tscr/image';
import type { LocalImageServiceOptions } from '@tscr/image/local';
import { parsePortSpec, type NetworkService } from '@tscr/network';
import { parseReference, type Reference } from '@tscr/registry-client';
import type { TaskRuntime, TaskSpec } from '@tscr/runtime';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { parseBind, type VolumeService } from '@tscr/volume';
import type { LocalVolumeServiceOptions } from '@tscr/volume/local';

const config: imagesV1.ImageConfig = imagesV1.ImageConfig.fromJSON({ user: 'nobody', env: ['A=1'] });
const top: runtimeV1.TopTaskRequest = { id: 'c1' };
const encoded: Uint8Array = imagesV1.ImageConfig.encode(config).finish();
const containerConfig: Partial<ContainerConfig> = { image: 'busybox' };
const ref: Reference = parseReference('busybox:latest');
const ignore: DockerIgnore = DockerIgnore.parse('*.log\n');
const build: Partial<BuildOptions> = { tags: ['app:1'] };
const request: Partial<CreateContainerRequest> = { name: 'web' };
const spec: Partial<TaskSpec> = { id: 'c1' };
const err: TscrError = notFound('no such thing');
const system: SystemService = new GrpcSystemService('unix:///run/tscr/tscr.sock');
const runtime: TaskRuntime = createLocalTaskRuntime({ stateDir: '/tmp/x' });
type Layers = [ContainerService, ImageService, NetworkService, VolumeService, DockerApiBackends, GrpcContainerService];
const options: LocalImageServiceOptions = { root: '/tmp/x' };
const volumeOptions: Partial<LocalVolumeServiceOptions> = {};

export const used: unknown[] = [
  top, encoded, containerConfig, ref.path, ignore.ignores('a.log'), build, request, spec, isNotFound(err),
  system, runtime, options, volumeOptions, parsePortSpec('8080:80'), parseBind('/a:/b'), parseCommandLine, null as unknown as Layers,
];
