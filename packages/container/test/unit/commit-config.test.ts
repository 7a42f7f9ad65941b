import { describe, expect, it } from 'vitest';
import { commitConfig } from '../../src/local/commit.js';

describe('commitConfig', () => {
  const image = {
    cmd: ['sh'],
    env: ['PATH=/bin', 'A=image'],
    labels: { from: 'image' },
    exposedPorts: ['80/tcp'],
    workingDir: '/',
  };

  it('takes the container overrides over the image config', () => {
    const c = commitConfig(image, {
      image: 'x',
      cmd: ['echo', 'hi'],
      env: ['A=container', 'B=1'],
      labels: { run: 'yes' },
      user: 'nobody',
    });
    expect(c).toEqual({
      cmd: ['echo', 'hi'],
      env: ['PATH=/bin', 'A=container', 'B=1'],
      labels: { from: 'image', run: 'yes' },
      exposedPorts: ['80/tcp'],
      workingDir: '/',
      user: 'nobody',
    });
  });

  it('an entrypoint set on the container drops the image cmd unless the container gave one', () => {
    expect(commitConfig(image, { image: 'x', entrypoint: ['top'] }).cmd).toBeUndefined();
    expect(commitConfig(image, { image: 'x', entrypoint: ['top'], cmd: ['-b'] }).cmd).toEqual(['-b']);
  });

  it('applies changes: env and labels merge, ports and volumes add, the rest replace', () => {
    const c = commitConfig(
      image,
      { image: 'x' },
      {
        cmd: ['cat'],
        env: ['A=change'],
        labels: { from: 'change' },
        exposedPorts: ['80/tcp', '8080/tcp'],
        volumes: ['/data'],
        workingDir: '/tmp',
        stopSignal: 'SIGINT',
        onBuild: ['RUN x'],
      },
    );
    expect(c).toEqual({
      cmd: ['cat'],
      env: ['PATH=/bin', 'A=change'],
      labels: { from: 'change' },
      exposedPorts: ['80/tcp', '8080/tcp'],
      volumes: ['/data'],
      workingDir: '/tmp',
      stopSignal: 'SIGINT',
      onBuild: ['RUN x'],
    });
  });
});
