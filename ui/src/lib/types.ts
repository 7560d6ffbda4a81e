// The JSON shapes the Tauri commands return (src-tauri/src/views.rs, orders.rs, backoffice.rs).

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
  /** The database of this window's device. */
  db_path: string | null;
  /** This window's device id. */
  device_id: string;
  kiosk_idle_secs: number;
}

// The manager's orders view (src-tauri/src/orders.rs).

/** What the orders view filters on; blank fields are no filter. */
export interface OrderQuery {
  status?: OrderStatus | null;
  /** `YYYY-MM-DD`, inclusive. */
  from_day?: string | null;
  to_day?: string | null;
  /** The last digits of the customer's phone number (1 to 4). */
  phone_digits?: string | null;
  store_id?: string | null;
}

export interface PickupRefusal {
  /** `pickup.not_ready`, `pickup.already_completed`, `pickup.not_your_store`, … */
  code: string;
  message: string;
}

/** An order of the mall as the manager lists it. */
export interface ManagerOrder {
  id: string;
  status: OrderStatus;
  placed_at: number;
  total: Money;
  items: number;
  /** Store names. */
  stores: string[];
  /** The customer's phone, masked but for its last digits; empty when unknown. */
  phone: string;
  /** `authorized`, `captured` or `voided`, once known. */
  payment: string | null;
  /** `pending`, `paid` or `canceled`, once known. */
  invoice: string | null;
  /** A hand-over was asked and central has not answered yet. */
  pickup_requested: boolean;
  /** Central's refusal of the latest pickup request, if it refused. */
  pickup_refusal: PickupRefusal | null;
}

export interface StatusChange {
  status: OrderStatus;
  at: number;
}

/** A payment's or invoice's status and amount. */
export interface MoneyState {
  status: string;
  amount: Money;
}

export interface ManagerOrderDetail extends ManagerOrder {
  lines: BasketLine[];
  history: StatusChange[];
  payment_info: MoneyState | null;
  invoice_info: MoneyState | null;
}

/** What a hand-over request says right after it was made. */
export interface PickupAnswer {
  order_id: string;
  /** `requested`, `refused` or `completed`. */
  status: string;
  code: string | null;
  reason: string | null;
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

/** Why a device cannot sync: `sync.not_enrolled`, `sync.refused`, or another sync code. */
export interface SyncProblem {
  code: string;
  message: string;
  /** The command that fixes it. */
  fix: string | null;
}

/** A local change the server refused at once and that was set aside. */
export interface Quarantined {
  subject: string;
  code: string;
  reason: string;
  at: number;
}

export type SyncState = 'online' | 'offline' | 'not_enrolled' | 'refused' | 'error';

export interface SyncStatus {
  device_id: string;
  state: SyncState;
  online: boolean;
  waiting: number;
  last_sync_at: number | null;
  conflicts: Conflict[];
  problem: SyncProblem | null;
  quarantined: Quarantined[];
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
  /** The window of the device that changed; another window's changes are not ours. */
  window?: string;
}
