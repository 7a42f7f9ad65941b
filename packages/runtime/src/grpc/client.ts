import type { ExitStatus, Resources } from '@tscr/api';
import { internal } from '@tscr/api';
import { callUnary, clientChannel, runtimeV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type {
  AttachSession,
  CallOptions,
  CreateOptions,
  ExecSession,
  ExecSpec,
  ProcessInfo,
  TaskIO,
  TaskRuntime,
  TaskSpec,
  TaskState,
  TaskStats,
  TerminalSize,
} from '../types.js';
import { grpcAttach, grpcExec } from './stdio-client.js';
import { exitStatusFromProto, taskSpecToProto, taskStateFromProto } from './convert.js';
import { processInfoFromProto, resourcesToProto, taskStatsFromProto } from './resources-convert.js';

function taskOf(res: { task?: runtimeV1.TaskState | undefined }): TaskState {
  if (!res.task) throw internal('the runtime service answered without a task');
  return taskStateFromProto(res.task);
}

/** A {@link TaskRuntime} served by a Runtime gRPC service (e.g. another tscr process). */
export class GrpcTaskRuntime implements TaskRuntime {
  private readonly client: runtimeV1.RuntimeClient;
  private readonly display: string;

  /** @param address `unix:///path`, `/path` or `host:port`. @throws InvalidArgument for a bad address. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.display = ch.display;
    this.client = new runtimeV1.RuntimeClient(ch.target, ch.credentials, ch.options);
  }

  async create(spec: TaskSpec, opts?: CreateOptions): Promise<TaskState> {
    const req = { spec: taskSpecToProto(spec), startEarly: opts?.startEarly ?? false };
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

  async update(id: string, resources: Resources, opts?: CallOptions): Promise<void> {
    const req = { id, resources: resourcesToProto(resources) };
    await callUnary<runtimeV1.UpdateTaskResponse>((cb) => this.client.updateTask(req, cb), opts, this.display);
  }

  async pause(id: string, opts?: CallOptions): Promise<void> {
    await callUnary<runtimeV1.PauseTaskResponse>((cb) => this.client.pauseTask({ id }, cb), opts, this.display);
  }

  async resume(id: string, opts?: CallOptions): Promise<void> {
    await callUnary<runtimeV1.ResumeTaskResponse>((cb) => this.client.resumeTask({ id }, cb), opts, this.display);
  }

  async stats(id: string, opts?: CallOptions): Promise<TaskStats> {
    const res = await callUnary<runtimeV1.TaskStatsResponse>(
      (cb) => this.client.taskStats({ id }, cb),
      opts,
      this.display,
    );
    return taskStatsFromProto(res.stats);
  }

  async top(id: string, opts?: CallOptions): Promise<ProcessInfo[]> {
    const res = await callUnary<runtimeV1.TopTaskResponse>((cb) => this.client.topTask({ id }, cb), opts, this.display);
    return res.processes.map(processInfoFromProto);
  }

  exec(id: string, spec: ExecSpec, io: TaskIO = {}, opts?: CallOptions): Promise<ExecSession> {
    return grpcExec(this.client, this.display, id, spec, io, opts?.signal);
  }

  async resizeExec(id: string, execId: string, size: TerminalSize, opts?: CallOptions): Promise<void> {
    const req = { taskId: id, execId, size };
    await callUnary<runtimeV1.ResizeExecResponse>((cb) => this.client.resizeExec(req, cb), opts, this.display);
  }

  attach(id: string, io: TaskIO = {}, opts?: CallOptions): Promise<AttachSession> {
    return grpcAttach(this.client, this.display, id, io, opts?.signal);
  }

  async resize(id: string, size: TerminalSize, opts?: CallOptions): Promise<void> {
    const req = { taskId: id, size };
    await callUnary<runtimeV1.ResizeTaskResponse>((cb) => this.client.resizeTask(req, cb), opts, this.display);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
