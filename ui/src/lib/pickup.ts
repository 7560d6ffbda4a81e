// Handing an order over at the depot: what a manager reads when central refuses it.
import type { ManagerOrder } from './generated';

const REFUSALS: Record<string, string> = {
  'pickup.not_ready': 'This order is not ready yet: the robots have not brought everything to the depot.',
  'pickup.already_completed': 'This order was already handed over.',
  'pickup.not_your_store': 'This order includes items from a store this desk does not manage, so it cannot hand it over.',
  'pickup.unknown_order': 'The mall does not know this order.',
  'pickup.wrong_code':
    "That is not this order's pickup code. Ask the customer for the six digits on their kiosk receipt or in the ready text message.",
  'desk.code_invalid': 'A pickup code is six digits.',
  'pickup.too_many_tries':
    'Too many wrong codes for this order from this desk: the mall checks no code for it for 15 minutes.',
  not_available: 'Handing orders over is not available in this version of the app.',
  not_signed_in: 'Sign in again to hand orders over.',
};

/** A refused hand-over in plain words (the code's own message when it is not one we know). */
export function refusalText(code: string, message: string): string {
  return REFUSALS[code] ?? message;
}

/** Whether this desk asked to hand the order over and central has not answered yet. */
export function pickupRequested(order: Pick<ManagerOrder, 'pickup'>): boolean {
  return order.pickup?.status === 'requested';
}

/** Central's refusal of this desk's latest hand-over request, if it refused. */
export function pickupRefusal(order: Pick<ManagerOrder, 'pickup'>): { code: string; message: string } | null {
  const p = order.pickup;
  return p && p.status === 'refused' && p.code ? { code: p.code, message: p.reason ?? '' } : null;
}

/** Whether the order can be handed over now (ready, and no refusal pending a retry). */
export function canHandOver(order: Pick<ManagerOrder, 'status'>): boolean {
  return order.status === 'ready';
}

/** Whether `typed` is a whole pickup code: six digits once spaces and dashes are dropped. */
export function codeComplete(typed: string): boolean {
  return /^\d{6}$/.test(typed.replace(/[\s-]/g, ''));
}

/** A pickup code as people read it: `042 517`. */
export function spacedCode(code: string): string {
  return code.replace(/\s/g, '').replace(/(\d{3})(?=\d)/g, '$1 ');
}
