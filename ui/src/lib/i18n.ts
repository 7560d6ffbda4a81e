// The kiosk's words, in a message catalog: English and Spanish, switched on the start screen.
// `t(key, vars)` fills `{name}` placeholders; a key missing from a language falls back to
// English (the vitest suite checks every language has every key with the same placeholders).
import { derived, get, writable } from 'svelte/store';

export type Locale = 'en' | 'es';
export const LOCALES: { code: Locale; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
];
export const DEFAULT_LOCALE: Locale = 'en';

const en = {
  'lang.choose': 'Language',
  'start.welcome': 'Welcome to the MallBots mall',
  'start.headline': 'Order from every store in one go',
  'start.sub': 'Our robots do the walking. Pick everything up at the depot.',
  'start.cta': 'Tap to start your order',
  'start.loading': 'Getting the stores ready…',
  'bar.progress': 'Progress',
  'bar.shop': 'Shop',
  'bar.phone': 'Phone',
  'bar.pay': 'Pay',
  'bar.pickup': 'Pickup',
  'bar.startOver': 'Start over',
  'shop.stores': 'Stores',
  'shop.search': 'Search',
  'shop.allStores': 'All stores',
  'shop.add': 'Add',
  'shop.addLabel': 'Add {name}',
  'shop.noMatch': 'Nothing matches “{query}”.',
  'shop.noStores': 'No store is taking orders right now.',
  'shop.free': 'Free',
  'cart.title': 'Your order',
  'cart.oneItem': '1 item',
  'cart.items': '{n} items',
  'cart.goneOne': 'Sorry, one item is no longer sold. Remove it to pay.',
  'cart.goneMany': 'Sorry, {n} items are no longer sold. Remove them to pay.',
  'cart.noLonger': 'No longer sold',
  'cart.remove': 'Remove',
  'cart.removeLabel': 'Remove {name}',
  'cart.lessLabel': 'One less {name}',
  'cart.moreLabel': 'One more {name}',
  'cart.empty': 'Tap “Add” on anything you like.',
  'cart.total': 'Total',
  'cart.checkout': 'Checkout',
  'phone.title': 'Your mobile number',
  'phone.why': 'We text you when your order is ready at the depot.',
  'phone.back': 'Back',
  'phone.continue': 'Continue · {total}',
  'phone.pad': 'Number pad',
  'phone.clear': 'Clear',
  'phone.deleteLast': 'Delete last digit',
  'card.title': 'Pay {total}',
  'card.why': 'Your card is authorized now and charged when you pick the order up.',
  'card.read': 'Card read ✓',
  'card.tap': 'Tap here to swipe your card',
  'card.back': 'Back',
  'card.placing': 'Placing your order…',
  'card.pay': 'Pay {total}',
  'status.pickedUp': 'Picked up. Enjoy your shopping!',
  'status.ready': 'Your order is ready at the depot.',
  'status.thanks': 'Thank you! Your order is in.',
  'status.order': 'Order',
  'status.textUs': 'we will text {phone}',
  'status.qrAlt': 'QR code of the pickup code',
  'status.codeTitle': 'Your pickup code',
  'status.codeHint': 'Show it at the depot desk. We text it to you again when your order is ready.',
  'status.rejected': 'This order was rejected{reason}. Your card will not be charged.',
  'status.canceled': 'This order was canceled{reason}. Your card will not be charged.',
  'status.unsynced': 'Saved on this kiosk; it goes to the stores as soon as the kiosk is online.',
  'status.cancelRequested': 'Cancellation requested. We will confirm it here and by text message.',
  'status.cancel': 'Cancel order',
  'status.done': 'Done',
  'stage.pending': 'Received',
  'stage.approved': 'Approved',
  'stage.in_progress': 'Robot shopping',
  'stage.ready': 'Ready at the depot',
  'stage.completed': 'Picked up',
  'map.depotHere': 'Depot: pick up here',
  'map.collect': 'Collect your order at the depot.',
  'map.shopping': 'A robot is shopping at {stores}.',
  'map.willShop': 'A robot will shop at {stores}, then bring it to the depot.',
  'map.ground': 'Ground floor',
  'map.level': 'Level {n}',
  'map.theDepot': 'the depot',
  'kb.keyboard': 'Keyboard',
  'kb.clear': 'Clear',
  'kb.space': 'Space',
  'kb.deleteLast': 'Delete last letter',
  'kb.done': 'Done',
} as const;

export type MessageKey = keyof typeof en;

const es: Record<MessageKey, string> = {
  'lang.choose': 'Idioma',
  'start.welcome': 'Bienvenido al centro comercial MallBots',
  'start.headline': 'Pida en todas las tiendas de una vez',
  'start.sub': 'Nuestros robots caminan por usted. Recoja todo en el depósito.',
  'start.cta': 'Toque para empezar su pedido',
  'start.loading': 'Preparando las tiendas…',
  'bar.progress': 'Progreso',
  'bar.shop': 'Compras',
  'bar.phone': 'Teléfono',
  'bar.pay': 'Pago',
  'bar.pickup': 'Recogida',
  'bar.startOver': 'Empezar de nuevo',
  'shop.stores': 'Tiendas',
  'shop.search': 'Buscar',
  'shop.allStores': 'Todas las tiendas',
  'shop.add': 'Añadir',
  'shop.addLabel': 'Añadir {name}',
  'shop.noMatch': 'Nada coincide con «{query}».',
  'shop.noStores': 'Ninguna tienda acepta pedidos en este momento.',
  'shop.free': 'Gratis',
  'cart.title': 'Su pedido',
  'cart.oneItem': '1 artículo',
  'cart.items': '{n} artículos',
  'cart.goneOne': 'Lo sentimos, un artículo ya no se vende. Quítelo para pagar.',
  'cart.goneMany': 'Lo sentimos, {n} artículos ya no se venden. Quítelos para pagar.',
  'cart.noLonger': 'Ya no se vende',
  'cart.remove': 'Quitar',
  'cart.removeLabel': 'Quitar {name}',
  'cart.lessLabel': 'Uno menos de {name}',
  'cart.moreLabel': 'Uno más de {name}',
  'cart.empty': 'Toque «Añadir» en lo que le guste.',
  'cart.total': 'Total',
  'cart.checkout': 'Pagar',
  'phone.title': 'Su número de móvil',
  'phone.why': 'Le enviamos un mensaje cuando su pedido esté listo en el depósito.',
  'phone.back': 'Atrás',
  'phone.continue': 'Continuar · {total}',
  'phone.pad': 'Teclado numérico',
  'phone.clear': 'Borrar',
  'phone.deleteLast': 'Borrar el último dígito',
  'card.title': 'Pagar {total}',
  'card.why': 'Su tarjeta se autoriza ahora y se cobra cuando recoja el pedido.',
  'card.read': 'Tarjeta leída ✓',
  'card.tap': 'Toque aquí para pasar su tarjeta',
  'card.back': 'Atrás',
  'card.placing': 'Enviando su pedido…',
  'card.pay': 'Pagar {total}',
  'status.pickedUp': 'Recogido. ¡Disfrute sus compras!',
  'status.ready': 'Su pedido está listo en el depósito.',
  'status.thanks': '¡Gracias! Hemos recibido su pedido.',
  'status.order': 'Pedido',
  'status.textUs': 'le escribiremos al {phone}',
  'status.qrAlt': 'Código QR del código de recogida',
  'status.codeTitle': 'Su código de recogida',
  'status.codeHint': 'Muéstrelo en el mostrador del depósito. Se lo enviamos de nuevo cuando su pedido esté listo.',
  'status.rejected': 'Este pedido fue rechazado{reason}. No se cobrará su tarjeta.',
  'status.canceled': 'Este pedido fue cancelado{reason}. No se cobrará su tarjeta.',
  'status.unsynced': 'Guardado en este quiosco; llegará a las tiendas en cuanto el quiosco tenga conexión.',
  'status.cancelRequested': 'Cancelación solicitada. La confirmaremos aquí y por mensaje de texto.',
  'status.cancel': 'Cancelar pedido',
  'status.done': 'Listo',
  'stage.pending': 'Recibido',
  'stage.approved': 'Aprobado',
  'stage.in_progress': 'Robot comprando',
  'stage.ready': 'Listo en el depósito',
  'stage.completed': 'Recogido',
  'map.depotHere': 'Depósito: recoja aquí',
  'map.collect': 'Recoja su pedido en el depósito.',
  'map.shopping': 'Un robot está comprando en {stores}.',
  'map.willShop': 'Un robot comprará en {stores} y lo llevará al depósito.',
  'map.ground': 'Planta baja',
  'map.level': 'Planta {n}',
  'map.theDepot': 'el depósito',
  'kb.keyboard': 'Teclado',
  'kb.clear': 'Borrar',
  'kb.space': 'Espacio',
  'kb.deleteLast': 'Borrar la última letra',
  'kb.done': 'Listo',
};

export const CATALOG: Record<Locale, Record<MessageKey, string>> = { en, es };

/** `text` with each `{name}` replaced by `vars[name]` (unknown names left as they are). */
export function fill(text: string, vars: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** The message `key` in `locale` (English when that language lacks it). */
export function translate(locale: Locale, key: MessageKey, vars?: Record<string, string | number>): string {
  return fill(CATALOG[locale][key] ?? en[key] ?? key, vars);
}

/** The kiosk's current language. */
export const locale = writable<Locale>(DEFAULT_LOCALE);

/** `$t(key, vars)` in components: the message in the current language. */
export const t = derived(
  locale,
  (l) => (key: MessageKey, vars?: Record<string, string | number>) => translate(l, key, vars),
);

/** Switches the language (and the page's `lang`, which screen readers follow). */
export function setLocale(next: Locale): void {
  locale.set(next);
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/** The current language (outside components). */
export function currentLocale(): Locale {
  return get(locale);
}

/** The placeholders of a message, sorted (for the catalog's consistency check). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}
