import { alreadyExists, notFound, type ContainerInfo } from '@tscr/api';
import { isActive, type ContainerStore } from '../store.js';

/**
 * A {@link ContainerStore} in memory, for tests and embedding. Records are
 * copied in and out, so callers never share objects with the store.
 */
export class MemoryContainerStore implements ContainerStore {
  private readonly byId = new Map<string, ContainerInfo>();

  /** @throws AlreadyExists when the ID or the name is taken. */
  insert(info: ContainerInfo): void {
    if (this.byId.has(info.id))
      throw alreadyExists(`container ${info.id} already exists`, { details: { id: info.id } });
    const holder = this.getByName(info.name);
    if (holder) {
      throw alreadyExists(`the container name "/${info.name}" is already in use by container ${holder.id}`, {
        details: { name: info.name, id: holder.id },
      });
    }
    this.byId.set(info.id, structuredClone(info));
  }

  /** @throws NotFound for an unknown ID; AlreadyExists when renamed onto a taken name. */
  update(info: ContainerInfo): void {
    if (!this.byId.has(info.id)) throw notFound(`no such container: ${info.id}`, { details: { id: info.id } });
    const holder = this.getByName(info.name);
    if (holder && holder.id !== info.id) {
      throw alreadyExists(`the container name "/${info.name}" is already in use by container ${holder.id}`, {
        details: { name: info.name, id: holder.id },
      });
    }
    this.byId.set(info.id, structuredClone(info));
  }

  get(id: string): ContainerInfo | undefined {
    const info = this.byId.get(id);
    return info && structuredClone(info);
  }

  getByName(name: string): ContainerInfo | undefined {
    for (const info of this.byId.values()) if (info.name === name) return structuredClone(info);
    return undefined;
  }

  findByIdPrefix(prefix: string): ContainerInfo[] {
    return [...this.byId.values()].filter((i) => i.id.startsWith(prefix)).map((i) => structuredClone(i));
  }

  list(filter: { active?: boolean } = {}): ContainerInfo[] {
    return [...this.byId.values()].filter((i) => !filter.active || isActive(i)).map((i) => structuredClone(i));
  }

  delete(id: string): void {
    this.byId.delete(id);
  }
}
