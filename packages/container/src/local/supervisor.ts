import type { ContainerInfo, HealthState } from '@tscr/api';
import type { ContainerStore } from '../store.js';
import { HealthMonitor, initialHealth, type ProbeExec } from './health.js';
import { RestartScheduler, shouldRestart } from './restart.js';

/** What {@link Supervisor} needs from the container service. */
export interface SupervisorOptions {
  store: ContainerStore;
  exec: ProbeExec;
  /** Publishes a container event (`health_status: healthy`…). */
  publish: (action: string, info: ContainerInfo, extra?: Record<string, string>) => void;
  log: (message: string) => void;
}

/**
 * Watches over running containers for the container service: restart
 * policies with Docker's back-off, and healthchecks. Decisions are made
 * here; starting and stopping stay with the service.
 */
export class Supervisor {
  private readonly restarts = new RestartScheduler();
  private readonly health: HealthMonitor;

  constructor(private readonly o: SupervisorOptions) {
    this.health = new HealthMonitor({
      exec: o.exec,
      record: (id, update) => this.recordHealth(id, update),
      onStatus: (id, status) => {
        const info = o.store.get(id);
        if (info) o.publish(`health_status: ${status}`, info);
      },
      log: o.log,
    });
  }

  /** The health a new run starts with (undefined without a healthcheck). */
  initialHealth(info: ContainerInfo): HealthState | undefined {
    return initialHealth(info.config.healthcheck);
  }

  /** A run began (or was adopted after a daemon restart): arm its healthcheck. */
  running(info: ContainerInfo): void {
    if (!info.config.healthcheck || !info.state.health) return;
    const startedAt = Date.parse(info.state.startedAt);
    this.health.start(info.id, info.config.healthcheck, Number.isNaN(startedAt) ? Date.now() : startedAt);
  }

  /** The run ended: stop probing. */
  exited(id: string): void {
    this.health.stop(id);
  }

  /**
   * After an exit has been recorded: schedules `restart` when the policy
   * says so (the service then shows `restarting`). Returns the delay in ms,
   * or undefined when the container stays down.
   */
  afterExit(info: ContainerInfo, restart: () => void): number | undefined {
    const facts = {
      exitCode: info.state.exitCode,
      manuallyStopped: Boolean(info.manuallyStopped),
      restartCount: info.restartCount,
    };
    if (!shouldRestart(info.hostConfig.restartPolicy, facts)) return undefined;
    const started = Date.parse(info.state.startedAt);
    const finished = Date.parse(info.state.finishedAt);
    const ranFor = Number.isNaN(started) || Number.isNaN(finished) ? 0 : finished - started;
    return this.restarts.schedule(info.id, ranFor, restart);
  }

  /**
   * At daemon start, for a container that is not running: should it be
   * started again? (`always` even after a manual stop; `unless-stopped`
   * unless stopped by hand; `on-failure` after a failure.)
   */
  restartAtDaemonStart(info: ContainerInfo): boolean {
    if (!info.state.startedAt && info.state.status !== 'restarting') return false;
    return shouldRestart(info.hostConfig.restartPolicy, {
      exitCode: info.state.exitCode,
      manuallyStopped: Boolean(info.manuallyStopped),
      restartCount: info.restartCount,
      daemonStart: true,
    });
  }

  /** True while a restart of `id` waits for its back-off delay. */
  restartPending(id: string): boolean {
    return this.restarts.pending(id);
  }

  /** Drops a pending restart (stop, kill, remove); true when there was one. */
  cancelRestart(id: string): boolean {
    return this.restarts.cancel(id);
  }

  /** A manual start or a removal: forget the back-off and stop probing. */
  reset(id: string): void {
    this.restarts.reset(id);
    this.health.stop(id);
  }

  /** Stops every timer; containers keep running. */
  close(): void {
    this.restarts.close();
    this.health.close();
  }

  private recordHealth(id: string, update: (prev: HealthState) => HealthState): HealthState | undefined {
    const info = this.o.store.get(id);
    if (!info?.state.running || !info.state.health) return undefined;
    const next = update(info.state.health);
    info.state = { ...info.state, health: next };
    this.o.store.update(info);
    return next;
  }
}
