// The JSON shapes the Tauri commands return (src-tauri/src/api.rs).

export interface Money {
  cents: number;
  currency: string;
}

export interface Store {
  id: string;
  name: string;
  location: string;
  participating: boolean;
  automated_shopping: boolean;
}

export interface Product {
  id: string;
  store_id: string;
  name: string;
  description: string;
  sku: string;
  price: Money;
}

export interface StoreCatalog {
  store: Store;
  products: Product[];
}

export interface BasketLine {
  product_id: string;
  name: string;
  store_name: string;
  unit_price: Money;
  quantity: number;
  line_total: Money;
}

export type BasketStatus = 'open' | 'checked_out' | 'canceled';

export interface Basket {
  id: string;
  lines: BasketLine[];
  total: Money;
  status: BasketStatus;
}

export type OrderStatus =
  | 'pending'
  | 'approved'
  | 'in_progress'
  | 'ready'
  | 'completed'
  | 'rejected'
  | 'canceled';

export interface Order {
  id: string;
  status: OrderStatus;
  total: Money;
  lines: BasketLine[];
  cancel_requested: boolean;
  /** Why it was rejected or canceled, or a cancellation refused. */
  reason: string | null;
  /** Central has acknowledged it (false: still waiting to be sent). */
  synced: boolean;
  /** When it was placed, ms since the Unix epoch. */
  placed_at: number;
}

/** An order as the kiosk shows it: with the number that gets the SMS. */
export interface KioskOrder extends Order {
  sms_number: string;
}

export interface ManagerSession {
  user: string;
}

export interface AppInfo {
  version: string;
  window: string;
  db_path: string | null;
  kiosk_idle_secs: number;
}

// Back office (src-tauri/src/backoffice.rs, csv_import.rs, events.rs).

export type BotStatus = 'offline' | 'idle' | 'assigned' | 'shopping' | 'returning';

export interface Bot {
  id: string;
  /** Empty when the desk never saw the robot come online. */
  name: string;
  status: BotStatus;
  list_id: string | null;
  /** The store it is in, while shopping. */
  store_name: string | null;
  updated_at: number;
}

export type ListStatus = 'created' | 'available' | 'assigned' | 'in_progress' | 'completed' | 'canceled';

export interface Stop {
  store_id: string;
  store_name: string | null;
  /** Units to fetch there. */
  items: number;
  picked: boolean;
}

export interface ShoppingList {
  id: string;
  order_id: string;
  status: ListStatus;
  bot_id: string | null;
  bot_name: string | null;
  stops: Stop[];
  items: number;
  updated_at: number;
}

export interface Depot {
  bots: Bot[];
  lists: ShoppingList[];
}

export interface SalesDay {
  day: string;
  orders: number;
  total: Money;
}

export interface Conflict {
  subject: string;
  reason: string;
  at: number;
}

export interface SyncStatus {
  online: boolean;
  waiting: number;
  last_sync_at: number | null;
  conflicts: Conflict[];
}

export interface LineError {
  line: number;
  code: string;
  message: string;
}

export interface ImportReport {
  added: string[];
  errors: LineError[];
}

export type Topic = 'catalog' | 'baskets' | 'orders' | 'depot' | 'sync';

/** Payload of the `edge:changed` event. */
export interface Changed {
  topics: Topic[];
  order_id?: string;
}
