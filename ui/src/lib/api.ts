// Typed wrappers over the Tauri commands; every type comes from ./generated (made from the Rust
// types by src-tauri/src/ui_types.rs). Errors arrive as {code, message}; callers branch on
// `code` (see src-tauri/src/error.rs), never on the message text.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppInfo,
  CheckoutInput,
  NewProduct,
  NewStore,
  Depot,
  Cart,
  ImportReport,
  KioskOrder,
  ManagerOrder,
  ManagerOrderDetail,
  ManagerSession,
  OrderQuery,
  DeskRequest,
  Product,
  SalesDay,
  Store,
  StoreCatalog,
  SyncStatus,
  TrailEntry,
} from './generated';

/** An error from a command: a stable code and a message for people. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A backend message for people: `code-style` quoting becomes typographic quotes. */
export function readable(message: string): string {
  return message.replace(/`([^`]*)`/g, '“$1”');
}

/** Turns whatever a rejected invoke carried into an ApiError. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (raw && typeof raw === 'object' && 'code' in raw && 'message' in raw) {
    const { code, message } = raw as { code: unknown; message: unknown };
    return new ApiError(String(code), readable(String(message)));
  }
  // Tauri's own refusals (e.g. a command not allowed for this window) are plain strings.
  const text = raw instanceof Error ? raw.message : String(raw);
  return new ApiError(text.includes('not allowed') ? 'forbidden' : 'ipc', text);
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),

  catalog: (query = '') => call<StoreCatalog[]>('kiosk_catalog', { query }),
  startBasket: () => call<Cart>('kiosk_start_basket'),
  basket: (basketId: string) => call<Cart>('kiosk_basket', { basketId }),
  addItem: (basketId: string, productId: string, quantity = 1) =>
    call<Cart>('kiosk_add_item', { basketId, productId, quantity }),
  removeItem: (basketId: string, productId: string, quantity = 1) =>
    call<Cart>('kiosk_remove_item', { basketId, productId, quantity }),
  cancelBasket: (basketId: string) => call<Cart>('kiosk_cancel_basket', { basketId }),
  abandonIdle: () => call<number>('kiosk_abandon_idle'),
  checkout: (basketId: string, smsNumber: string, cardToken: string) =>
    call<KioskOrder>('kiosk_checkout', {
      checkout: {
        basket_id: basketId,
        sms_number: smsNumber,
        card_token: cardToken,
      } satisfies CheckoutInput,
    }),
  orderStatus: (orderId: string) => call<KioskOrder>('kiosk_order_status', { orderId }),
  requestCancel: (orderId: string) => call<KioskOrder>('kiosk_request_cancel', { orderId }),
  kioskSyncStatus: () => call<SyncStatus>('kiosk_sync_status'),

  signIn: (user: string, password: string) =>
    call<ManagerSession>('manager_sign_in', { user, password }),
  signOut: () => call<void>('manager_sign_out'),
  stores: () => call<StoreCatalog[]>('manager_stores'),
  createStore: (name: string, location: string) =>
    call<Store>('manager_create_store', { store: { name, location } satisfies NewStore }),
  addProduct: (storeId: string, name: string, sku: string, priceCents: number, description = '') =>
    call<Product>('manager_add_product', {
      product: {
        store_id: storeId,
        name,
        description,
        sku,
        price_cents: priceCents,
      } satisfies NewProduct,
    }),
  setParticipation: (storeId: string, participating: boolean) =>
    call<Store>('manager_set_participation', { storeId, participating }),
  setAutomatedShopping: (storeId: string, enabled: boolean) =>
    call<Store>('manager_set_automated_shopping', { storeId, enabled }),
  placeStore: (storeId: string, level: number, x: number, y: number) =>
    call<Store>('manager_place_store', { storeId, level, x, y }),
  rebrandProduct: (productId: string, name: string, description = '') =>
    call<Product>('manager_rebrand_product', { productId, name, description }),
  changePrice: (productId: string, priceCents: number) =>
    call<Product>('manager_change_price', { productId, priceCents }),
  removeProduct: (productId: string) => call<Product>('manager_remove_product', { productId }),
  importProducts: (storeId: string, csv: string) =>
    call<ImportReport>('manager_import_products', { storeId, csv }),
  orders: (filter: OrderQuery = {}) => call<ManagerOrder[]>('manager_orders', { filter }),
  order: (orderId: string) => call<ManagerOrderDetail>('manager_order', { orderId }),
  orderTrail: (orderId: string) => call<TrailEntry[]>('manager_order_trail', { orderId }),
  productTrail: (productId: string) =>
    call<TrailEntry[]>('manager_product_trail', { productId }),
  botTrail: (botId: string, sinceMs: number) =>
    call<TrailEntry[]>('manager_bot_trail', { botId, sinceMs }),
  requestPickup: (orderId: string, code: string) =>
    call<DeskRequest>('manager_request_pickup', { orderId, code }),
  markStopPrepared: (listId: string, storeId: string) =>
    call<void>('manager_mark_stop_prepared', { listId, storeId }),
  depot: () => call<Depot>('manager_depot'),
  sales: (days = 14, storeId?: string) => call<SalesDay[]>('manager_sales', { days, storeId }),
  syncStatus: () => call<SyncStatus>('manager_sync_status'),
};
