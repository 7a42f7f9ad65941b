import { createRegistryClient } from '@tscr/registry-client';
import { describeRegistryClient } from '../conformance/registry-client.js';

describeRegistryClient('LocalRegistryClient', async () => ({ client: createRegistryClient(), close: async () => {} }));
