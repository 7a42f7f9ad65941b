// fs.promises is read where used: a CLI that only parses references does not load node:fs/promises.
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromSystemError, invalidArgument, isErrno } from '@tscr/api';

/** A user name and password (or access token) for one registry. */
export interface Credentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (Docker's `identitytoken`): token requests
   * trade it for access tokens (`grant_type=refresh_token`) instead of
   * sending the password.
   */
  identityToken?: string;
}

/** Where credentials live, keyed by registry host (`docker.io`, `localhost:5000`). */
export interface CredentialStore {
  /** The credentials for `registry`, or undefined for anonymous access. */
  get(registry: string): Promise<Credentials | undefined>;
  /** Stores credentials for `registry`, replacing any. */
  set(registry: string, credentials: Credentials): Promise<void>;
  /** Forgets `registry`'s credentials; false when there were none. */
  erase(registry: string): Promise<boolean>;
}

/** The key Docker uses for Docker Hub in `auths`. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG || join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/v2/` → `host:5000`. */
function registryOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

interface ConfigFile {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; [k: string]: unknown }
  >;
  [k: string]: unknown;
}

/**
 * Credentials in a Docker-style `config.json` (`{"auths": {"host": {"auth":
 * base64("user:password")}}}`), so `docker login` and `tscr login` share
 * them. Other keys of the file are kept as they are. Credential helpers
 * (`credsStore`) are not supported: their entries are not read.
 */
export class DockerConfigStore implements CredentialStore {
  /** @param path the file; {@link defaultDockerConfigPath} when omitted. It need not exist yet. */
  constructor(readonly path: string = defaultDockerConfigPath()) {}

  /** @throws InvalidArgument when the file is not valid JSON or an `auth` entry is malformed. */
  async get(registry: string): Promise<Credentials | undefined> {
    const auths = (await this.load()).auths ?? {};
    const key = Object.keys(auths).find((k) => k === registry || registryOfKey(k) === registry);
    if (key === undefined) return undefined;
    const entry = auths[key] ?? {};
    const token = entry.identitytoken ? { identityToken: entry.identitytoken } : {};
    if (entry.auth) {
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon <= 0)
        throw invalidArgument(`malformed auth entry for ${registry} in ${this.path}`, {
          details: { path: this.path, registry },
        });
      return { username: text.slice(0, colon), password: text.slice(colon + 1), ...token };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, ...token };
    if (entry.identitytoken) return { username: entry.username ?? '', password: '', ...token };
    return undefined;
  }

  async set(registry: string, credentials: Credentials): Promise<void> {
    const config = await this.load();
    const auths = { ...config.auths };
    for (const k of Object.keys(auths)) if (registryOfKey(k) === registry) delete auths[k];
    const key = registry === 'docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
    auths[key] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
    if (credentials.identityToken) auths[key].identitytoken = credentials.identityToken;
    await this.save({ ...config, auths });
  }

  async erase(registry: string): Promise<boolean> {
    const config = await this.load();
    const auths = { ...config.auths };
    const keys = Object.keys(auths).filter((k) => registryOfKey(k) === registry);
    if (keys.length === 0) return false;
    for (const k of keys) delete auths[k];
    await this.save({ ...config, auths });
    return true;
  }

  private async load(): Promise<ConfigFile> {
    let text: string;
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return {};
      throw fromSystemError(err, `reading ${this.path}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as ConfigFile;
    } catch (err) {
      throw invalidArgument(`${this.path} is not a Docker config file`, { cause: err, details: { path: this.path } });
    }
  }

  /** Writes atomically (temp file + rename), readable by the owner only. */
  private async save(config: ConfigFile): Promise<void> {
    try {
      await fsp.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp-${process.pid}`;
      await fsp.writeFile(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
      await fsp.rename(tmp, this.path);
    } catch (err) {
      throw fromSystemError(err, `writing ${this.path}`);
    }
  }
}

/** An in-memory {@link CredentialStore}, for embedding apps and tests. */
export function memoryCredentials(initial: Record<string, Credentials> = {}): CredentialStore {
  const map = new Map(Object.entries(initial));
  return {
    get: async (registry) => map.get(registry),
    set: async (registry, c) => void map.set(registry, c),
    erase: async (registry) => map.delete(registry),
  };
}
