import type { ContainerState } from '@tscr/api';

/** Docker's `HumanDuration`: a rough, friendly length of time. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** The `STATUS` column of `ps`: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`. */
export function statusText(state: ContainerState, now = Date.now()): string {
  const since = (time: string) => humanDuration(Math.max(0, now - Date.parse(time)));
  switch (state.status) {
    case 'running':
      return state.startedAt ? `Up ${since(state.startedAt)}` : 'Up';
    case 'paused':
      return `Up ${since(state.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${since(state.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return state.finishedAt ? `Exited (${state.exitCode}) ${since(state.finishedAt)} ago` : `Exited (${state.exitCode})`;
    case 'created':
      return 'Created';
  }
}
