import { createRegistryClient } from '@tscr/registry-client/local';
import { describeRegistryClient } from '../conformance/registry-client.js';

describeRegistryClient('LocalRegistryClient', async () => ({ client: createRegistryClient(), close: async () => {} }));
