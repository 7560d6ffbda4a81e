// The order's journey as the kiosk shows it.
import type { OrderStatus } from './types';

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
