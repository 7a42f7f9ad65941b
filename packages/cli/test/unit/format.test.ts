import { describe, expect, it } from 'vitest';
import {
  binarySize,
  familiarName,
  humanDuration,
  humanSize,
  quotedCommand,
  renderTemplate,
  shortId,
  splitReference,
  table,
  timeAgo,
} from '../../src/format.js';

describe('table', () => {
  it('pads every column but the last to its widest cell plus 3 (at least 10)', () => {
    const out = table(
      ['REPOSITORY', 'TAG', 'SIZE'],
      [
        ['busybox', 'test', '2.14MB'],
        ['a-much-longer-name', 'latest', '1kB'],
      ],
    );
    expect(out).toBe(
      'REPOSITORY           TAG       SIZE\n' +
        'busybox              test      2.14MB\n' +
        'a-much-longer-name   latest    1kB\n',
    );
  });

  it('prints only the header for no rows', () => {
    expect(table(['A', 'B'], [])).toBe('A         B\n');
  });
});

describe('sizes', () => {
  it('uses decimal units with 3 significant digits like docker images', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1234)).toBe('1.23kB');
    expect(humanSize(2_140_000)).toBe('2.14MB');
    expect(humanSize(12_345_678)).toBe('12.3MB');
    expect(humanSize(1_500_000_000)).toBe('1.5GB');
  });

  it('uses binary units for memory', () => {
    expect(binarySize(8 * 1024 ** 3)).toBe('8GiB');
    expect(binarySize(8_200_000_000)).toBe('7.637GiB');
  });
});

describe('relative times', () => {
  it('words durations as docker does', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(90_000)).toBe('About a minute');
    expect(humanDuration(2 * 60_000 + 5000)).toBe('2 minutes');
    expect(humanDuration(3_600_000)).toBe('About an hour');
    expect(humanDuration(5 * 3_600_000)).toBe('5 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
    expect(humanDuration(20 * 86_400_000)).toBe('2 weeks');
    expect(humanDuration(100 * 86_400_000)).toBe('3 months');
    expect(humanDuration(800 * 86_400_000)).toBe('2 years');
  });

  it('says "ago" relative to now, N/A for no time', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(timeAgo('2024-05-01T11:58:00Z', now)).toBe('2 minutes ago');
    expect(timeAgo('', now)).toBe('N/A');
  });
});

describe('names and IDs', () => {
  it('shortens IDs to 12 hex digits', () => {
    expect(shortId(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
    expect(shortId('0123456789abcdef')).toBe('0123456789ab');
  });

  it('shows familiar names', () => {
    expect(familiarName('docker.io/library/busybox:test')).toBe('busybox:test');
    expect(familiarName('docker.io/me/app:1')).toBe('me/app:1');
    expect(familiarName('quay.io/x/y:2')).toBe('quay.io/x/y:2');
    expect(splitReference('docker.io/library/busybox:test')).toEqual({ repository: 'busybox', tag: 'test' });
    expect(splitReference('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app', tag: 'latest' });
    expect(splitReference(`docker.io/library/x@sha256:${'0'.repeat(64)}`)).toEqual({ repository: 'x', tag: '<none>' });
  });

  it('quotes and truncates commands like docker ps', () => {
    expect(quotedCommand('sh')).toBe('"sh"');
    expect(quotedCommand("sh -c 'sleep 1000; echo done'")).toBe('"sh -c \'sleep 1000; …"');
    expect(quotedCommand("sh -c 'sleep 1000; echo done'", 20, false)).toBe('"sh -c \'sleep 1000; echo done\'"');
  });
});

describe('renderTemplate', () => {
  const v = { ID: 'abc', State: { Status: 'running', ExitCode: 0 }, Args: ['-c', 'x'] };
  it('expands fields, nested fields, json and escapes', () => {
    expect(renderTemplate('{{.ID}}\\t{{.State.Status}} {{.State.ExitCode}}', v)).toBe('abc\trunning 0');
    expect(renderTemplate('{{json .Args}}', v)).toBe('["-c","x"]');
    expect(renderTemplate('{{json .}}', { a: 1 })).toBe('{"a":1}');
    expect(renderTemplate('{{.Nope}}', v)).toBe('<no value>');
  });

  it('refuses syntax it does not implement', () => {
    expect(() => renderTemplate('{{range .Args}}{{.}}{{end}}', v)).toThrow(/unimplemented/);
  });
});
