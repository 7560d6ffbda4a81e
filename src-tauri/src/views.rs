//! What the windows exchange beyond the edge's own views: a kiosk order with its SMS number,
//! and the inputs of checkout and store creation. Everything else a window receives is an
//! edge view (catalog, cart, order, the desk's orders and sales, the depot, the import
//! report), its TypeScript generated from it.

use mallbots_edge as edge;
use serde::{Deserialize, Serialize};

/// A kiosk order with the number that gets its SMS and its pickup code as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KioskOrder {
    /// The order.
    #[serde(flatten)]
    pub order: edge::OrderView,
    /// The customer's SMS number.
    pub sms_number: String,
    /// The pickup code as a QR code, for the customer to photograph: an SVG drawn here, as a
    /// `data:` URL for an `<img>` (the windows never insert markup).
    pub pickup_qr: Option<String>,
}

impl KioskOrder {
    /// `order` for the kiosk's screens.
    pub fn new(order: edge::OrderView, sms_number: String) -> Self {
        let pickup_qr = order.pickup_code.as_deref().and_then(qr_svg);
        Self {
            order,
            sms_number,
            pickup_qr,
        }
    }
}

/// `text` as an SVG QR code (dark on light, with its quiet zone) in a `data:` URL, `None` if it
/// cannot be one.
fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .dark_color(qrcode::render::svg::Color("#111111"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let mut url = String::from("data:image/svg+xml;charset=utf-8,");
    for byte in svg.bytes() {
        if byte.is_ascii_alphanumeric() || b" -_.:/=".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(url)
}

/// What checkout needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheckoutInput {
    /// The open basket.
    #[ts(type = "string")]
    pub basket_id: edge::domain::BasketId,
    /// Customer phone number for the SMS notifications.
    pub sms_number: String,
    /// Token of the (simulated) card swipe.
    pub card_token: String,
}

/// A new store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewStore {
    /// Display name, not blank.
    pub name: String,
    /// Location in the mall, not blank.
    pub location: String,
}
