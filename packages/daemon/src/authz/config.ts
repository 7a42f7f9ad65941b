/** Checks of `authorizationPlugins` / `--authorization-plugin`. A leaf module. */
import { invalidArgument } from '@tscr/api';

/** Plugin names as dockerd takes them: no path parts. */
const PLUGIN_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** `authorizationPlugins` / `--authorization-plugin`: plugin names, in order. @throws InvalidArgument. */
export function checkAuthzPlugins(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalidArgument(`${where}: authorizationPlugins must be an array of plugin names`);
  for (const name of value as string[]) {
    if (!PLUGIN_NAME.test(name))
      throw invalidArgument(`${where}: invalid authorization plugin name ${JSON.stringify(name)}`);
  }
  return [...(value as string[])];
}
