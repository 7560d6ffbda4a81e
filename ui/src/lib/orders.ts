// The order's journey as the kiosk shows it.
import type { OrderStatus } from './generated';

export const STAGES: { status: OrderStatus; label: string }[] = [
  { status: 'pending', label: 'Received' },
  { status: 'approved', label: 'Approved' },
  { status: 'in_progress', label: 'Robot shopping' },
  { status: 'ready', label: 'Ready at the depot' },
  { status: 'completed', label: 'Picked up' },
];

/** Position of a status on the track (-1 for rejected/canceled). */
export function stageIndex(status: OrderStatus): number {
  return STAGES.findIndex((s) => s.status === status);
}

/** Whether the status can no longer change. */
export function isFinal(status: OrderStatus): boolean {
  return status === 'completed' || status === 'rejected' || status === 'canceled';
}

const LABELS: Record<OrderStatus, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved',
  in_progress: 'Robot shopping',
  ready: 'Ready for pickup',
  completed: 'Picked up',
  rejected: 'Rejected',
  canceled: 'Canceled',
};

/** What a person reads for an order status. */
export function statusLabel(status: OrderStatus): string {
  return LABELS[status] ?? status;
}

/** The customer's phone as a desk shows it: `•••• 2222` from its last digits (empty if unknown). */
export function maskedPhone(last4: string | null): string {
  return last4 ? `•••• ${last4}` : '';
}

/** `#A1B2C3`: the short order number shown to people (the end of the id). */
export function shortId(id: string): string {
  return `#${id.replace(/-/g, '').slice(-6).toUpperCase()}`;
}
