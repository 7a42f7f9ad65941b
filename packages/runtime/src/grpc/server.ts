import type { Server } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';
import { runtimeV1, unaryHandler } from '@tscr/api/grpc';
import type { TaskRuntime } from '../types.js';
import { exitStatusToProto, taskSpecFromProto, taskStateToProto } from './convert.js';

/**
 * The gRPC handlers of the Runtime service, forwarding to `impl`. Errors
 * travel as gRPC status (see `@tscr/api/grpc`), so they keep their code.
 */
export function createRuntimeServer(impl: TaskRuntime): runtimeV1.RuntimeServer {
  return {
    createTask: unaryHandler(async (req: runtimeV1.CreateTaskRequest, { signal }) => {
      if (!req.spec) throw invalidArgument('CreateTask needs a spec');
      return { task: taskStateToProto(await impl.create(taskSpecFromProto(req.spec), { signal })) };
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
  };
}

/** Registers the Runtime service, backed by `impl`, on `server`. */
export function addRuntimeService(server: Server, impl: TaskRuntime): void {
  server.addService(runtimeV1.RuntimeService, createRuntimeServer(impl));
}
