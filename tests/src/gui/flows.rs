//! Steps that several GUI tests take the same way, as a person would with the screens: the
//! manager's sign-in, opening a store in the manager's list, and a kiosk customer's whole
//! checkout (cart, phone pad, card swipe, pay).

use super::{Element, Gui};
use anyhow::{anyhow, Result};
use std::time::Duration;

/// Signs in to the manager window (switching to it) and waits for the back office.
pub fn sign_in_manager(gui: &Gui, user: &str, password: &str, wait: Duration) -> Result<()> {
    gui.switch_to_label("manager")?;
    gui.wait_for("[data-testid=manager-sign-in]", wait)?;
    gui.type_text("input[name=user]", user)?;
    gui.type_text("input[name=password]", password)?;
    gui.click("[data-testid=sign-in]")?;
    gui.wait_for("[data-testid=manager-stores]", wait)?;
    Ok(())
}

/// Opens the store named `name` from the manager's store list.
pub fn open_store(gui: &Gui, name: &str, wait: Duration) -> Result<Element> {
    gui.wait_for_text(".side", name, wait)?;
    let store = gui
        .find_all(".side .store")?
        .into_iter()
        .find(|e| gui.element_text(e).unwrap_or_default().contains(name))
        .ok_or_else(|| anyhow!("{name} is not in the store list"))?;
    gui.click_element(&store)?;
    gui.wait_for_text("h1", name, wait)?;
    Ok(store)
}

/// On the kiosk window (switching to it), from its start screen: adds one `sku`, waits for the
/// cart to show `total`, and checks out with `phone` and a card swipe; returns once the order
/// confirmation shows.
pub fn kiosk_order(gui: &Gui, sku: &str, total: &str, phone: &str, wait: Duration) -> Result<()> {
    gui.switch_to_label("kiosk")?;
    gui.wait_for("[data-testid=kiosk-ready]", wait)?;
    gui.click("[data-testid=kiosk-ready]")?;
    gui.wait_for(&format!("[data-testid=add-{sku}]"), wait)?;
    gui.click(&format!("[data-testid=add-{sku}]"))?;
    gui.wait_for_text("[data-testid=cart-total]", total, wait)?;
    gui.click("[data-testid=checkout]")?;
    gui.wait_for("[data-testid=pad-5]", wait)?;
    for digit in phone.chars() {
        gui.click(&format!("[data-testid=pad-{digit}]"))?;
    }
    gui.click("[data-testid=phone-continue]")?;
    gui.wait_for("[data-testid=card-swipe]", wait)?;
    gui.click("[data-testid=card-swipe]")?;
    gui.click("[data-testid=pay]")?;
    gui.wait_for("[data-testid=order-status]", wait)?;
    Ok(())
}
