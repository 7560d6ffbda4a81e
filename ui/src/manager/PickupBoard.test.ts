import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import PickupBoard from './PickupBoard.svelte';
import type { ManagerOrder } from '../lib/generated';

const order = (over: Partial<ManagerOrder>): ManagerOrder => ({
  order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
  status: 'ready',
  device_id: 'kiosk-1',
  store_ids: ['0192f0c0-0000-7000-8000-00000000000a'],
  store_names: ['Volt Electronics'],
  pickup: null,
  item_count: 1,
  total_cents: 7999,
  currency: 'USD',
  payment: null,
  invoice: null,
  phone_last4: '2222',
  placed_at: 1_800_000_000_000,
  first_seen_at: 1_800_000_000_000,
  updated_at: 1_800_000_000_000,
  ...over,
});

/** A ready order whose hand-over central refused with `code`. */
const refusedWith = (code: string, reason: string): ManagerOrder =>
  order({
    pickup: {
      kind: 'pickup',
      order_id: '0192f0c0-0000-7000-8000-0000c0ffee01',
      list_id: null,
      store_id: null,
      user: 'manager',
      status: 'refused',
      code,
      reason,
      requested_at: 1_800_000_000_000,
      answered_at: 1_800_000_000_001,
    },
  });

describe('the pickup board', () => {
  it('offers "Hand over" on ready orders and shows handed-over ones as picked up', () => {
    const orders = [
      order({}),
      order({ order_id: '0192f0c0-0000-7000-8000-0000c0ffee02', status: 'completed' }),
      order({ order_id: '0192f0c0-0000-7000-8000-0000c0ffee03', status: 'in_progress' }),
    ];
    const { body } = render(PickupBoard, { props: { orders } });
    expect(body.match(/data-testid="hand-over"/g)).toHaveLength(1);
    expect(body).toContain('data-testid="hand-over" data-order-id="0192f0c0-0000-7000-8000-0000c0ffee01"');
    expect(body.match(/data-testid="pickup-code-input"/g)).toHaveLength(1);
    expect(body).toContain('data-testid="picked-up" data-order-id="0192f0c0-0000-7000-8000-0000c0ffee02"');
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('Ready for pickup 1');
    expect(text).toContain('Picked up 1');
    expect(text).toContain('#FFEE03');
  });

  it("shows central's refusal of a hand-over in plain words", () => {
    const refused = refusedWith('pickup.not_your_store', 'store s9 is not yours');
    const { body } = render(PickupBoard, { props: { orders: [refused] } });
    expect(body).toContain('data-code="pickup.not_your_store"');
    expect(body).toContain('a store this desk does not manage');
  });

  it('asks again after a wrong code', () => {
    const refused = refusedWith('pickup.wrong_code', 'the pickup code does not match this order');
    const { body } = render(PickupBoard, { props: { orders: [refused] } });
    expect(body).toContain('data-code="pickup.wrong_code"');
    expect(body).toContain("not this order's pickup code");
    expect(body).not.toContain('Handing over');
    expect(body).toMatch(/data-testid="pickup-code-input"[^>]*>/);
    expect(body).not.toMatch(/data-testid="pickup-code-input"[^>]*disabled/);
  });
});
