import { relayLockName } from './outbox-relay';

describe('relayLockName', () => {
  it('should name the lock after the database', () => {
    expect(relayLockName('images')).toBe('image_event_outbox_relay.images');
  });

  it('should stay within the 64 characters of a MySQL lock name', () => {
    const name = relayLockName('d'.repeat(64));
    expect(name).toHaveLength(57);
    expect(name).toBe(relayLockName('d'.repeat(64)));
    expect(name).not.toBe(relayLockName(`${'d'.repeat(63)}e`));
  });
});
