import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceRegistry } from '../../daemon/devices.js';

const t = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('DeviceRegistry', () => {
  it('lists an unnamed connection by its address, idle', () => {
    const devices = new DeviceRegistry();
    devices.connect(1, '10.0.0.7:4000', t(0));
    assert.deepEqual(devices.list(), [
      {
        name: '10.0.0.7:4000',
        address: '10.0.0.7:4000',
        status: 'idle',
        connected: t(0).toISOString(),
        updated: t(0).toISOString(),
      },
    ]);
  });

  it('makes one device of the connections that say the same hello, listed while any is open', () => {
    const devices = new DeviceRegistry();
    devices.connect(1, '10.0.0.7:4000', t(0));
    devices.connect(2, '10.0.0.7:4001', t(5));
    devices.rename(1, 'kitchen');
    devices.rename(2, 'kitchen');
    devices.setStatus(2, 'playing x.mp3 0:10/3:00', t(9));
    assert.equal(devices.list().length, 1);
    assert.equal(devices.list()[0]?.status, 'playing x.mp3 0:10/3:00');
    assert.equal(devices.list()[0]?.connected, t(0).toISOString());
    devices.disconnect(1);
    assert.equal(devices.list()[0]?.status, 'playing x.mp3 0:10/3:00', 'status lives while a connection does');
    devices.disconnect(2);
    assert.deepEqual(devices.list(), []);
    devices.connect(3, '10.0.0.7:4002', t(20));
    devices.rename(3, 'kitchen');
    assert.equal(devices.list()[0]?.status, 'idle', 'a device that went away starts idle');
  });

  it('keeps a status set before hello', () => {
    const devices = new DeviceRegistry();
    devices.connect(1, '10.0.0.8:1', t(0));
    devices.setStatus(1, 'paused', t(1));
    devices.rename(1, 'den');
    assert.deepEqual(
      devices.list().map((d) => [d.name, d.status, d.updated]),
      [['den', 'paused', t(1).toISOString()]],
    );
  });

  it('forgets closed connections and ignores unknown ones', () => {
    const devices = new DeviceRegistry();
    devices.setStatus(9, 'x', t(0));
    devices.rename(9, 'y');
    devices.disconnect(9);
    assert.equal(devices.connectionCount, 0);
  });
});
