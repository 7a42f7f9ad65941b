import { errorCode } from '@tscr/api';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/distribution/session.js';
import { mirrorBaseUrl } from '../../src/transport/scheme.js';

describe('pull mirrors', () => {
  it('allow plain HTTP only for loopback mirrors and insecure hosts', () => {
    expect(mirrorBaseUrl('http://127.0.0.1:5100/')).toBe('http://127.0.0.1:5100');
    expect(mirrorBaseUrl('https://mirror.example')).toBe('https://mirror.example');
    expect(mirrorBaseUrl('http://mirror.example:5000', ['mirror.example:5000'])).toBe('http://mirror.example:5000');
    expect(() => mirrorBaseUrl('http://mirror.example:5000')).toThrow(/insecure/);
    expect(() => mirrorBaseUrl('ftp://x')).toThrow(/http/);
  });

  it('send a mirrored registry to its first mirror, and others to themselves', () => {
    const s = new Session({ mirrors: { 'registry.k8s.io': ['http://127.0.0.1:5100', 'https://other.example'] } });
    expect(s.baseUrl('registry.k8s.io')).toBe('http://127.0.0.1:5100');
    expect(s.baseUrl('gcr.io')).toBe('https://gcr.io');
    expect(s.baseUrl('docker.io')).toBe('https://registry-1.docker.io');
  });

  it('refuse a plain HTTP mirror on the network', () => {
    try {
      new Session({ mirrors: { 'docker.io': ['http://mirror.example'] } });
      expect.unreachable();
    } catch (err) {
      expect(errorCode(err)).toBe('InvalidArgument');
    }
  });
});
