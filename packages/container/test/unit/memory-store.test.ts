import { MemoryContainerStore } from '@tscr/container/local';
import { describeContainerStore } from '../conformance/container-store.js';

describeContainerStore('memory', async () => ({ store: new MemoryContainerStore(), cleanup: async () => undefined }));
