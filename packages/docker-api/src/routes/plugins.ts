/** Plugins: `GET /plugins` and `GET /plugins/{name}/json` (the daemon's discovered legacy plugins). */
import { notFound } from '@tscr/api';
import { pluginCapability, pluginJson } from '../convert/plugins.js';
import { type Ctx, checkFilterKeys, filtersParam, sendJson } from '../http.js';
import { type Route, notYet, route } from './route.js';

async function list(ctx: Ctx): Promise<void> {
  const f = filtersParam(ctx.query);
  checkFilterKeys(f, ['capability', 'enable']);
  const all = (await ctx.backends.plugins?.list({ signal: ctx.signal })) ?? [];
  const caps = f.get('capability') ?? [];
  const enabled = f.get('enable')?.[0];
  const shown = all.filter(
    (p) =>
      (caps.length === 0 || p.implements.some((i) => caps.includes(pluginCapability(i)))) &&
      (enabled === undefined || String(p.healthy) === enabled),
  );
  sendJson(ctx, 200, shown.map(pluginJson));
}

async function inspect(ctx: Ctx): Promise<void> {
  // `name:latest` is how the docker CLI spells a plugin reference; legacy plugins have no tag.
  const name = (ctx.params.name ?? '').replace(/:latest$/, '');
  if (!ctx.backends.plugins) throw notFound(`plugin ${name} not found`);
  sendJson(ctx, 200, pluginJson(await ctx.backends.plugins.inspect(name, { signal: ctx.signal })));
}

export const pluginRoutes: Route[] = [
  route('GET', '/plugins', list),
  route('GET', '/plugins/:name*/json', inspect),
  notYet('GET', '/plugins/privileges', 'managed plugins (docker plugin install)'),
  notYet('POST', '/plugins/pull', 'managed plugins (docker plugin install)'),
  notYet('POST', '/plugins/create', 'managed plugins (docker plugin create)'),
];
