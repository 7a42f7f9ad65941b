import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFERRED_CA_CERTS_ENV, adoptDeferredCaCerts, pemCertificates, trustedCaCertificates } from '@tscr/api';

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
const roots = [pem('root1'), pem('root2')];
const dir = mkdtempSync(join(tmpdir(), 'tscr-test-cas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The order matters: the module remembers what was adopted, as a process does.
describe('trusted CA certificates', () => {
  it('finds each certificate of a bundle, skipping keys and comments', () => {
    const text = `# a comment\n${pem('a')}\n-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n${pem('b')}\n`;
    expect(pemCertificates(text)).toEqual([pem('a'), pem('b')]);
    expect(pemCertificates('no pem here')).toEqual([]);
  });

  it("leaves Node's own store alone when nothing was deferred and no CA is added", () => {
    adoptDeferredCaCerts({});
    expect(trustedCaCertificates(roots)).toBeUndefined();
  });

  it('with a CA of its own, still trusts the roots and the NODE_EXTRA_CA_CERTS that Node loaded itself', () => {
    const file = join(dir, 'native.pem');
    writeFileSync(file, pem('native'));
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = file;
    try {
      expect(trustedCaCertificates(roots, ['mine'])).toEqual([...roots, pem('native'), 'mine']);
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
    }
  });

  it('puts a deferred file back for children and adds its certificates, read once', () => {
    const file = join(dir, 'deferred.pem');
    writeFileSync(file, `${pem('x')}\n${pem('y')}\n`);
    const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS_ENV]: file };
    adoptDeferredCaCerts(env);
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: file });
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      expect(trustedCaCertificates(roots)).toEqual([...roots, pem('x'), pem('y')]);
      writeFileSync(file, 'changed');
      expect(trustedCaCertificates(roots, ['mine'])).toEqual([...roots, pem('x'), pem('y'), 'mine']);
    } finally {
      if (saved !== undefined) process.env.NODE_EXTRA_CA_CERTS = saved;
    }
  });

  it('warns once and keeps the roots when the deferred file cannot be read, as Node does', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const missing = join(dir, 'missing.pem');
      adoptDeferredCaCerts({ [DEFERRED_CA_CERTS_ENV]: missing });
      expect(trustedCaCertificates(roots)).toEqual(roots);
      expect(trustedCaCertificates(roots)).toEqual(roots);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain(missing);
    } finally {
      warn.mockRestore();
    }
  });
});
