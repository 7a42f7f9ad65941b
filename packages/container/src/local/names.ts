import { randomBytes, randomInt } from 'node:crypto';
import { invalidArgument } from '@tscr/api';

/** Docker's rule for container names: at least two characters, starting alphanumeric. */
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const ADJECTIVES = [
  'admiring',
  'bold',
  'brave',
  'busy',
  'calm',
  'clever',
  'cool',
  'dazzling',
  'eager',
  'elated',
  'fervent',
  'focused',
  'gallant',
  'gentle',
  'happy',
  'hopeful',
  'jolly',
  'keen',
  'kind',
  'lucid',
  'modest',
  'nifty',
  'optimistic',
  'patient',
  'quirky',
  'relaxed',
  'serene',
  'sharp',
  'stoic',
  'tender',
  'trusting',
  'vibrant',
  'wizardly',
  'youthful',
  'zealous',
];

const NOUNS = [
  'albatross',
  'badger',
  'beaver',
  'bison',
  'condor',
  'crane',
  'dolphin',
  'eagle',
  'falcon',
  'ferret',
  'gazelle',
  'heron',
  'ibis',
  'jackal',
  'kestrel',
  'lemur',
  'lynx',
  'marmot',
  'narwhal',
  'ocelot',
  'otter',
  'panda',
  'pelican',
  'puffin',
  'quokka',
  'raven',
  'salmon',
  'seal',
  'tapir',
  'toucan',
  'urchin',
  'vole',
  'walrus',
  'wombat',
  'yak',
  'zebra',
];

/**
 * The name as stored (no leading slash).
 * @throws InvalidArgument when it breaks Docker's naming rule.
 */
export function normalizeName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME_PATTERN.test(bare)) {
    throw invalidArgument(`invalid container name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {
      details: { name },
    });
  }
  return bare;
}

/** A random `adjective_noun` name; `attempt` > 0 appends a digit, as Docker does after collisions. */
export function randomName(attempt = 0): string {
  const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
  return attempt > 0 ? `${base}${randomInt(10)}` : base;
}

/** A new container ID: 64 lowercase hex digits. */
export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}
