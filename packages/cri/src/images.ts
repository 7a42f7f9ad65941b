/** CRI ImageService over the daemon's one image store and its registry layer (mirrors included). */
import { invalidArgument, isNotFound, type Image } from '@tscr/api';
import type { criV1 } from '@tscr/api/cri';
import { imageRefOf } from './containers.js';
import type { CallOptions, CriBackends, PullAuth } from './types.js';

/** The uid (numeric user) or user name an image runs as. */
function userOf(image: Image): Pick<criV1.Image, 'uid' | 'username'> {
  const user = (image.config.user ?? '').split(':')[0] ?? '';
  if (user === '') return { uid: { value: 0 }, username: '' };
  if (/^\d+$/.test(user)) return { uid: { value: Number(user) }, username: '' };
  return { username: user };
}

/** An image as CRI reports it. */
export function criImage(image: Image): criV1.Image {
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    size: image.size,
    ...userOf(image),
    spec: { image: image.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
    pinned: false,
  };
}

/** CRI AuthConfig → pull credentials (`auth` is base64 `user:password`). */
function authOf(auth: criV1.AuthConfig | undefined): PullAuth | undefined {
  if (!auth) return undefined;
  if (auth.identityToken) return { identityToken: auth.identityToken, username: auth.username };
  let { username, password } = auth;
  if (!username && auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidArgument('AuthConfig.auth must be base64 of user:password');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return username ? { username, password } : undefined;
}

/** The CRI image calls. */
export class CriImages {
  constructor(
    private readonly b: CriBackends,
    private readonly imageRoot: string,
  ) {}

  async list(filter: criV1.ImageFilter | undefined): Promise<criV1.Image[]> {
    const wanted = filter?.image?.image;
    if (wanted) {
      const one = await this.find(wanted);
      return one ? [criImage(one)] : [];
    }
    return (await this.b.images.list()).map(criImage);
  }

  /** The image, or undefined when it is not here (ImageStatus answers an empty status then). */
  async find(ref: string): Promise<Image | undefined> {
    if (!ref) throw invalidArgument('an image reference is required');
    try {
      return await this.b.images.get(ref);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Pulls `ref` (through the daemon's mirrors) and returns its image reference. @throws as the registry layer. */
  async pull(ref: string, auth: criV1.AuthConfig | undefined, opts: CallOptions): Promise<string> {
    if (!ref) throw invalidArgument('PullImage needs an image');
    const credentials = authOf(auth);
    for await (const _ of this.b.registry.pull(ref, { ...opts, ...(credentials && { auth: credentials }) })) {
      // progress is not reported over the CRI
    }
    const image = await this.b.images.get(ref, opts);
    return imageRefOf(image);
  }

  /** Removes the image and all its tags; an image that is not here is not an error. */
  async remove(ref: string, opts: CallOptions): Promise<void> {
    const image = await this.find(ref);
    if (!image) return;
    await this.b.images.remove(image.id, { ...opts, force: true }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** ImageFsInfo: the store's directory and the bytes its images take. */
  async fsInfo(): Promise<criV1.ImageFsInfoResponse> {
    const images = await this.b.images.list();
    const used = images.reduce((n, i) => n + i.size, 0);
    const usage: criV1.FilesystemUsage = {
      timestamp: Date.now() * 1e6,
      fsId: { mountpoint: this.imageRoot },
      usedBytes: { value: used },
      inodesUsed: { value: 0 },
    };
    return { imageFilesystems: [usage], containerFilesystems: [usage] };
  }
}
