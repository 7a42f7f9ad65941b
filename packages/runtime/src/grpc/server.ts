import type { Server } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';
import { runtimeV1, unaryHandler } from '@tscr/api/grpc';
import type { TaskRuntime } from '../types.js';
import { exitStatusToProto, taskSpecFromProto, taskStateToProto } from './convert.js';
import { processInfoToProto, resourcesFromProto, taskStatsToProto } from './resources-convert.js';
import { bidiHandler, stdinOf } from './bidi.js';
import { execSpecFromProto, outputChunkToProto, sizeFromProto } from './stdio-convert.js';

/**
 * The gRPC handlers of the Runtime service, forwarding to `impl`. Errors
 * travel as gRPC status (see `@tscr/api/grpc`), so they keep their code.
 */
export function createRuntimeServer(impl: TaskRuntime): runtimeV1.RuntimeServer {
  return {
    createTask: unaryHandler(async (req: runtimeV1.CreateTaskRequest, { signal }) => {
      if (!req.spec) throw invalidArgument('CreateTask needs a spec');
      const opts = { signal, startEarly: req.startEarly };
      return { task: taskStateToProto(await impl.create(taskSpecFromProto(req.spec), opts)) };
    }),
    startTask: unaryHandler(async (req: runtimeV1.StartTaskRequest, { signal }) => ({
      task: taskStateToProto(await impl.start(req.id, { signal })),
    })),
    killTask: unaryHandler(async (req: runtimeV1.KillTaskRequest, { signal }) => {
      await impl.kill(req.id, req.signal, { signal });
      return {};
    }),
    waitTask: unaryHandler(async (req: runtimeV1.WaitTaskRequest, { signal }) => ({
      exitStatus: exitStatusToProto(await impl.wait(req.id, { signal })),
    })),
    getTask: unaryHandler(async (req: runtimeV1.GetTaskRequest, { signal }) => ({
      task: taskStateToProto(await impl.state(req.id, { signal })),
    })),
    listTasks: unaryHandler(async (_req: runtimeV1.ListTasksRequest, { signal }) => ({
      tasks: (await impl.list({ signal })).map(taskStateToProto),
    })),
    deleteTask: unaryHandler(async (req: runtimeV1.DeleteTaskRequest, { signal }) => {
      const exit = await impl.delete(req.id, { signal, force: req.force });
      return exit ? { exitStatus: exitStatusToProto(exit), hasExitStatus: true } : { hasExitStatus: false };
    }),
    updateTask: unaryHandler(async (req: runtimeV1.UpdateTaskRequest, { signal }) => {
      await impl.update(req.id, resourcesFromProto(req.resources), { signal });
      return {};
    }),
    pauseTask: unaryHandler(async (req: runtimeV1.PauseTaskRequest, { signal }) => {
      await impl.pause(req.id, { signal });
      return {};
    }),
    resumeTask: unaryHandler(async (req: runtimeV1.ResumeTaskRequest, { signal }) => {
      await impl.resume(req.id, { signal });
      return {};
    }),
    taskStats: unaryHandler(async (req: runtimeV1.TaskStatsRequest, { signal }) => ({
      stats: taskStatsToProto(await impl.stats(req.id, { signal })),
    })),
    topTask: unaryHandler(async (req: runtimeV1.TopTaskRequest, { signal }) => ({
      processes: (await impl.top(req.id, { signal })).map(processInfoToProto),
    })),
    execTask: bidiHandler(async function* (requests: AsyncIterable<runtimeV1.ExecTaskRequest>, { signal }) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      const start = first.done ? undefined : first.value.start;
      if (!start) throw invalidArgument('ExecTask: the first message must be start');
      const session = await impl.exec(
        start.taskId,
        execSpecFromProto(start.spec),
        { ...(start.stdin ? { stdin: stdinOf(it) } : {}), output: !start.discardOutput },
        { signal },
      );
      yield { started: { pid: session.pid } };
      for await (const chunk of session.output) yield { output: outputChunkToProto(chunk) };
      yield { exit: exitStatusToProto(await session.exit) };
    }),
    resizeExec: unaryHandler(async (req: runtimeV1.ResizeExecRequest, { signal }) => {
      await impl.resizeExec(req.taskId, req.execId, sizeFromProto(req.size), { signal });
      return {};
    }),
    attachTask: bidiHandler(async function* (requests: AsyncIterable<runtimeV1.AttachTaskRequest>, { signal }) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      const start = first.done ? undefined : first.value.start;
      if (!start) throw invalidArgument('AttachTask: the first message must be start');
      const session = await impl.attach(start.taskId, start.stdin ? { stdin: stdinOf(it) } : {}, { signal });
      yield { attached: true };
      for await (const chunk of session.output) yield { output: outputChunkToProto(chunk) };
    }),
    resizeTask: unaryHandler(async (req: runtimeV1.ResizeTaskRequest, { signal }) => {
      await impl.resize(req.taskId, sizeFromProto(req.size), { signal });
      return {};
    }),
  };
}

/** Registers the Runtime service, backed by `impl`, on `server`. */
export function addRuntimeService(server: Server, impl: TaskRuntime): void {
  server.addService(runtimeV1.RuntimeService, createRuntimeServer(impl));
}
