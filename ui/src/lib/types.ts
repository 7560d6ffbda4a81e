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
  sms_number: string;
  lines: BasketLine[];
  cancel_requested: boolean;
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
