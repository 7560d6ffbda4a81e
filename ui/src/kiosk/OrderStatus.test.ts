import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import OrderStatus from './OrderStatus.svelte';
import type { KioskOrder } from '../lib/generated';

const order = (over: Partial<KioskOrder>): KioskOrder => ({
  order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
  customer_id: '0192f0c0-0000-7000-8000-0000000c0001',
  device_id: 'kiosk-1',
  status: 'pending',
  total_cents: 7999,
  currency: 'USD',
  items: [],
  store_ids: [],
  synced: true,
  cancellation_requested: false,
  reason: null,
  pickup_code: '042517',
  created_at: 1_800_000_000_000,
  updated_at: 1_800_000_000_000,
  sms_number: '+15550104477',
  pickup_qr: 'data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C/svg%3E',
  ...over,
});

describe("the kiosk's order confirmation", () => {
  it('shows the pickup code in threes with its QR code', () => {
    const { body } = render(OrderStatus, { props: { order: order({}), ondone: () => {} } });
    expect(body).toContain('data-testid="pickup-code" data-code="042517"');
    expect(body).toContain('042 517');
    expect(body).toContain('data-testid="pickup-qr" src="data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C/svg%3E"');
  });

  it('shows it while the order is on its way and ready, not once it is over', () => {
    for (const status of ['approved', 'in_progress', 'ready'] as const) {
      const { body } = render(OrderStatus, { props: { order: order({ status }), ondone: () => {} } });
      expect(body, status).toContain('data-testid="pickup-code"');
    }
    for (const status of ['completed', 'canceled', 'rejected'] as const) {
      const { body } = render(OrderStatus, { props: { order: order({ status }), ondone: () => {} } });
      expect(body, status).not.toContain('data-testid="pickup-code"');
    }
    const { body } = render(OrderStatus, {
      props: { order: order({ pickup_code: null, pickup_qr: null }), ondone: () => {} },
    });
    expect(body).not.toContain('data-testid="pickup"');
  });
});
