import { MemoryContainerStore } from '@tscr/container';
import { describeContainerStore } from '../conformance/container-store.js';

describeContainerStore('memory', async () => ({ store: new MemoryContainerStore(), cleanup: async () => undefined }));
