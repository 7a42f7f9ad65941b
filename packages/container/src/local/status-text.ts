import { humanDuration, type ContainerState } from '@tscr/api';

/** The `STATUS` column of `ps`: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`. */
export function statusText(state: ContainerState, now = Date.now()): string {
  const since = (time: string) => humanDuration(Math.max(0, now - Date.parse(time)));
  switch (state.status) {
    case 'running': {
      const health = !state.health
        ? ''
        : state.health.status === 'starting'
          ? ' (health: starting)'
          : ` (${state.health.status})`;
      return `${state.startedAt ? `Up ${since(state.startedAt)}` : 'Up'}${health}`;
    }
    case 'paused':
      return `Up ${since(state.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${since(state.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return state.finishedAt
        ? `Exited (${state.exitCode}) ${since(state.finishedAt)} ago`
        : `Exited (${state.exitCode})`;
    case 'created':
      return 'Created';
  }
}
