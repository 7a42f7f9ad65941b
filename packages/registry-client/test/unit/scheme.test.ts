import { describe, expect, it } from 'vitest';
import { parseReference } from '@tscr/registry-client';
import { isLoopback, registryBaseUrl } from '@tscr/registry-client/local';

const baseOf = (ref: string, insecure: string[] = []) => registryBaseUrl(parseReference(ref).domain, insecure);

describe('reference → registry URL', () => {
  it('sends docker.io to registry-1.docker.io over HTTPS', () => {
    expect(baseOf('alpine')).toBe('https://registry-1.docker.io');
    expect(baseOf('index.docker.io/library/alpine')).toBe('https://registry-1.docker.io');
  });

  it('uses plain HTTP only for loopback and configured insecure registries', () => {
    expect(baseOf('localhost:5000/app')).toBe('http://localhost:5000');
    expect(baseOf('127.0.0.1:5000/app')).toBe('http://127.0.0.1:5000');
    expect(baseOf('[::1]:5000/app')).toBe('http://[::1]:5000');
    expect(baseOf('registry.example.com/app')).toBe('https://registry.example.com');
    expect(baseOf('registry.example.com:5000/app', ['registry.example.com:5000'])).toBe(
      'http://registry.example.com:5000',
    );
    expect(baseOf('registry.example.com:5001/app', ['registry.example.com:5000'])).toBe(
      'https://registry.example.com:5001',
    );
  });

  it('knows loopback hosts', () => {
    expect(isLoopback('127.1.2.3:80')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('128.0.0.1:5000')).toBe(false);
    expect(isLoopback('localhost.example.com')).toBe(false);
  });
});
