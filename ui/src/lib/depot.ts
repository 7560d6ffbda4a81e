// What the depot screen says about robots and shopping lists, in words a store manager reads.
import { shortId } from './orders';
import type { Bot, BotStatus, Depot, ListStatus, ShoppingList, Stop } from './generated';

export type Tone = 'ok' | 'busy' | 'off' | 'done' | 'bad';

const BOT: Record<BotStatus, { label: string; tone: Tone }> = {
  idle: { label: 'Ready', tone: 'ok' },
  assigned: { label: 'Heading out', tone: 'busy' },
  shopping: { label: 'Shopping', tone: 'busy' },
  returning: { label: 'Returning', tone: 'busy' },
  offline: { label: 'Offline', tone: 'off' },
};

const LIST: Record<ListStatus, { label: string; tone: Tone }> = {
  created: { label: 'Planned', tone: 'off' },
  available: { label: 'Waiting for a robot', tone: 'bad' },
  assigned: { label: 'Robot on the way', tone: 'busy' },
  in_progress: { label: 'Being shopped', tone: 'busy' },
  completed: { label: 'Done', tone: 'done' },
  canceled: { label: 'Canceled', tone: 'off' },
};

/** A robot's status for people, with the color tone of its badge. */
export function botState(status: BotStatus): { label: string; tone: Tone } {
  return BOT[status] ?? { label: status, tone: 'off' };
}

/** A shopping list's status for people, with the color tone of its badge. */
export function listState(status: ListStatus): { label: string; tone: Tone } {
  return LIST[status] ?? { label: status, tone: 'off' };
}

/** A robot's name, or `Robot #A1B2C3` when the desk never learned it. */
export function botName(bot: Pick<Bot, 'bot_id' | 'name'>): string {
  return bot.name.trim() || `Robot ${shortId(bot.bot_id)}`;
}

/** The name of a stop's store, or `Store #A1B2C3` when this desk's catalog lacks it. */
export function stopName(stop: Stop): string {
  return stop.store_name?.trim() || `Store ${shortId(stop.store_id)}`;
}

/** One line about what a robot is doing, e.g. `At Green Grocer` or `Waiting at the depot`. */
export function botActivity(bot: Bot, lists: ShoppingList[]): string {
  const list = lists.find((l) => l.list_id === bot.list_id);
  const order = list ? ` for order ${shortId(list.order_id)}` : '';
  switch (bot.status) {
    case 'idle':
      return 'Waiting at the depot';
    case 'offline':
      return 'Not connected';
    case 'assigned':
      return `Heading to the first store${order}`;
    case 'shopping':
      return bot.store_name ? `At ${bot.store_name}${order}` : `Between stores${order}`;
    case 'returning':
      return list ? `Bringing order ${shortId(list.order_id)} to the depot` : 'Returning to the depot';
  }
}

/** Whether a list still needs work (not completed or canceled). */
export function isOpen(list: ShoppingList): boolean {
  return list.status !== 'completed' && list.status !== 'canceled';
}

/** Units to fetch over all of a list's stops. */
export function listUnits(list: ShoppingList): number {
  return list.stops.reduce((sum, s) => sum + s.quantity, 0);
}

/** What to fetch at a stop, e.g. `2 × Bagel, 1 × Coffee`. */
export function stopProducts(stop: Stop): string {
  return stop.items.map((i) => `${i.quantity} × ${i.product_name}`).join(', ');
}

/** Stops picked so far, e.g. `1 of 3 stores`. */
export function progress(list: ShoppingList): string {
  const picked = list.stops.filter((s) => s.picked).length;
  const n = list.stops.length;
  return `${picked} of ${n} ${n === 1 ? 'store' : 'stores'}`;
}

export interface DepotSummary {
  working: number;
  ready: number;
  offline: number;
  open: number;
  waiting: number;
}

/** Counts for the summary tiles. */
export function summarize(depot: Depot): DepotSummary {
  const count = (pred: (b: Bot) => boolean) => depot.bots.filter(pred).length;
  return {
    working: count((b) => ['assigned', 'shopping', 'returning'].includes(b.status)),
    ready: count((b) => b.status === 'idle'),
    offline: count((b) => b.status === 'offline'),
    open: depot.lists.filter(isOpen).length,
    waiting: depot.lists.filter((l) => l.status === 'available').length,
  };
}
