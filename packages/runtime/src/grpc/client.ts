import type { ExitStatus } from '@tscr/api';
import { internal } from '@tscr/api';
import { callUnary, clientChannelOptions, clientCredentials, parseEndpoint, runtimeV1 } from '@tscr/api/grpc';
import type { CallOptions, TaskRuntime, TaskSpec, TaskState } from '../types.js';
import { exitStatusFromProto, taskSpecToProto, taskStateFromProto } from './convert.js';

function taskOf(res: { task?: runtimeV1.TaskState | undefined }): TaskState {
  if (!res.task) throw internal('the runtime service answered without a task');
  return taskStateFromProto(res.task);
}

/** A {@link TaskRuntime} served by a Runtime gRPC service (e.g. another tscr process). */
export class GrpcTaskRuntime implements TaskRuntime {
  private readonly client: runtimeV1.RuntimeClient;
  private readonly display: string;

  /** @param address `unix:///path`, `/path` or `host:port`. @throws InvalidArgument for a bad address. */
  constructor(address: string) {
    const ep = parseEndpoint(address);
    this.display = ep.display;
    this.client = new runtimeV1.RuntimeClient(ep.target, clientCredentials(), clientChannelOptions);
  }

  async create(spec: TaskSpec, opts?: CallOptions): Promise<TaskState> {
    const req = { spec: taskSpecToProto(spec) };
    return taskOf(
      await callUnary<runtimeV1.CreateTaskResponse>((cb) => this.client.createTask(req, cb), opts, this.display),
    );
  }

  async start(id: string, opts?: CallOptions): Promise<TaskState> {
    return taskOf(
      await callUnary<runtimeV1.StartTaskResponse>((cb) => this.client.startTask({ id }, cb), opts, this.display),
    );
  }

  async kill(id: string, signal: string, opts?: CallOptions): Promise<void> {
    await callUnary<runtimeV1.KillTaskResponse>((cb) => this.client.killTask({ id, signal }, cb), opts, this.display);
  }

  async wait(id: string, opts?: CallOptions): Promise<ExitStatus> {
    const res = await callUnary<runtimeV1.WaitTaskResponse>(
      (cb) => this.client.waitTask({ id }, cb),
      opts,
      this.display,
    );
    if (!res.exitStatus) throw internal('the runtime service answered without an exit status');
    return exitStatusFromProto(res.exitStatus);
  }

  async state(id: string, opts?: CallOptions): Promise<TaskState> {
    return taskOf(
      await callUnary<runtimeV1.GetTaskResponse>((cb) => this.client.getTask({ id }, cb), opts, this.display),
    );
  }

  async list(opts?: CallOptions): Promise<TaskState[]> {
    const res = await callUnary<runtimeV1.ListTasksResponse>((cb) => this.client.listTasks({}, cb), opts, this.display);
    return res.tasks.map(taskStateFromProto);
  }

  async delete(id: string, opts?: CallOptions & { force?: boolean }): Promise<ExitStatus | undefined> {
    const req = { id, force: opts?.force ?? false };
    const res = await callUnary<runtimeV1.DeleteTaskResponse>(
      (cb) => this.client.deleteTask(req, cb),
      opts,
      this.display,
    );
    return res.hasExitStatus && res.exitStatus ? exitStatusFromProto(res.exitStatus) : undefined;
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
