/** The only place builder domain types meet their proto messages. */
import { internal } from '@tscr/api';
import type { builderV1 } from '@tscr/api/grpc';
import type { BuildEvent, BuildOptions } from '../types.js';

/** Build options (without signal) and the uploaded context's ID → proto. */
export function buildRequestToProto(contextId: string, o: BuildOptions): builderV1.BuildRequest {
  return {
    contextId,
    dockerfile: o.dockerfile ?? '',
    dockerfileContent: o.dockerfileContent ?? '',
    hasDockerfileContent: o.dockerfileContent !== undefined,
    tags: o.tags ?? [],
    buildArgs: { ...o.buildArgs },
    target: o.target ?? '',
    noCache: o.noCache === true,
    labels: { ...o.labels },
    network: o.network ?? '',
  };
}

/** Proto build request → domain options. */
export function buildOptionsFromProto(p: builderV1.BuildRequest): BuildOptions {
  const out: BuildOptions = {};
  if (p.dockerfile) out.dockerfile = p.dockerfile;
  if (p.hasDockerfileContent) out.dockerfileContent = p.dockerfileContent;
  if (p.tags.length > 0) out.tags = p.tags;
  if (Object.keys(p.buildArgs).length > 0) out.buildArgs = { ...p.buildArgs };
  if (p.target) out.target = p.target;
  if (p.noCache) out.noCache = true;
  if (Object.keys(p.labels).length > 0) out.labels = { ...p.labels };
  if (p.network === 'host' || p.network === 'none') out.network = p.network;
  return out;
}

/** Domain event → proto. */
export function eventToProto(e: BuildEvent): builderV1.BuildEvent {
  switch (e.type) {
    case 'step':
      return { step: { index: e.index, total: e.total, instruction: e.instruction } };
    case 'output':
      return { output: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) };
    case 'stepDone':
      return { stepDone: { index: e.index, cached: e.cached, imageId: e.imageId ?? '' } };
    case 'message':
      return { message: e.text };
    case 'result':
      return {
        result: { imageId: e.imageId, tags: e.tags, cachedSteps: e.cachedSteps, totalSteps: e.totalSteps },
      };
  }
}

/** Proto event → domain. @throws Internal for an empty message. */
export function eventFromProto(p: builderV1.BuildEvent): BuildEvent {
  if (p.step) return { type: 'step', index: p.step.index, total: p.step.total, instruction: p.step.instruction };
  if (p.output !== undefined) return { type: 'output', data: p.output };
  if (p.stepDone) {
    const out: BuildEvent = { type: 'stepDone', index: p.stepDone.index, cached: p.stepDone.cached };
    if (p.stepDone.imageId) out.imageId = p.stepDone.imageId;
    return out;
  }
  if (p.message !== undefined) return { type: 'message', text: p.message };
  if (p.result) {
    return {
      type: 'result',
      imageId: p.result.imageId,
      tags: p.result.tags,
      cachedSteps: p.result.cachedSteps,
      totalSteps: p.result.totalSteps,
    };
  }
  throw internal('malformed build event from the builder service');
}
