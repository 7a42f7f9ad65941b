import { describe, expect, it } from 'vitest';
import { builtinNetworkId } from '@tscr/network';
import { createLocalNetworkService } from '@tscr/network/local';
import { describeNetworkService } from '../conformance/network-service.js';

describeNetworkService('LocalNetworkService', async () => ({
  service: createLocalNetworkService(),
  close: async () => {},
}));

describe('LocalNetworkService', () => {
  it('gives predefined networks the same IDs in every instance', async () => {
    const a = await createLocalNetworkService().get('none');
    const b = await createLocalNetworkService({ root: '/nonexistent' }).get('none');
    expect(a.id).toBe(b.id);
    expect(a.id).toBe(builtinNetworkId('none'));
  });

  it('returns copies, so callers cannot change its records', async () => {
    const svc = createLocalNetworkService();
    const n = await svc.get('host');
    n.labels.x = 'y';
    n.name = 'changed';
    expect(await svc.get('host')).toMatchObject({ name: 'host', labels: {} });
  });
});
