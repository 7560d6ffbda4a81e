import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import SyncIndicator from './SyncIndicator.svelte';
import type { SyncStatus } from '../lib/generated';

const base: SyncStatus = {
  device_id: 'kiosk-1a2b',
  state: 'online',
  online: true,
  waiting: 0,
  oldest_waiting_at: null,
  last_sync_at: null,
  conflicts: [],
  problem: null,
  quarantined: [],
};
const never = () => new Promise<SyncStatus>(() => undefined);

describe('the sync indicator', () => {
  it('says how old the oldest change waiting to be sent is', () => {
    const initial: SyncStatus = {
      ...base,
      state: 'offline',
      online: false,
      waiting: 3,
      oldest_waiting_at: Date.now() - 5 * 60_000,
      problem: { code: 'sync.offline', message: 'offline', fix: null },
    };
    const { body } = render(SyncIndicator, { props: { initial, load: never } });
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('oldest made 5 min ago');
  });

  it('shows "not enrolled" with the command that fixes it', () => {
    const fix = 'mallbots-central enroll --device kiosk-1a2b --role kiosk --out kiosk-1a2b.json';
    const initial: SyncStatus = {
      ...base,
      state: 'not_enrolled',
      online: false,
      problem: { code: 'sync.not_enrolled', message: 'not enrolled: device kiosk-1a2b has no credentials', fix },
    };
    const { body } = render(SyncIndicator, { props: { initial, load: never } });
    expect(body).toContain('data-state="not_enrolled"');
    expect(body).toContain('Not enrolled');
    expect(body).toContain('data-code="sync.not_enrolled"');
    expect(body).toContain(fix);
  });

  it('lists quarantined changes with their reason', () => {
    const initial: SyncStatus = {
      ...base,
      quarantined: [
        {
          event_id: 'e1',
          event_type: 'ProductAdded',
          stream_type: 'product',
          stream_id: 'p1',
          subject: 'mallbots.ev.catalog.s1.product.p1',
          code: 'catalog.kiosk_forbidden',
          reason: 'a kiosk may not write the catalog',
          at: 0,
          blocked: 0,
        },
      ],
    };
    const { body } = render(SyncIndicator, { props: { initial, load: never } });
    expect(body).toContain('data-quarantined="1"');
    expect(body).toContain('1 change refused');
  });
});
