//! The payment gateway: a [`PaymentGateway`] trait with an HTTP implementation
//! ([`HttpGateway`], reqwest) and the built-in [`FakeGateway`] used by default. Every call carries
//! an idempotency key (the command id), so a retried command never charges twice.
//!
//! The fake: card token `tok_decline` is declined, `tok_slow` answers after a delay (the handler
//! sends in-progress acks meanwhile), anything else is approved.
//!
//! HTTP protocol (JSON, header `Idempotency-Key`): `POST {base}/authorizations`
//! `{card_token, amount}` → `{"status": "approved"|"declined", "reason"?}`;
//! `POST {base}/captures` `{payment_id, amount}` and `POST {base}/voids` `{payment_id}` → 2xx.

use std::time::Duration;

use futures::future::BoxFuture;
use mallbots_domain::error::ErrorCode;
use mallbots_domain::{Money, PaymentId};
use serde::{Deserialize, Serialize};

use crate::platform::config::PaymentsSettings;

/// The gateway's answer to an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Authorization {
    /// The amount is reserved on the card.
    Approved,
    /// The card was refused.
    Declined {
        /// The gateway's reason.
        #[serde(default = "default_decline")]
        reason: String,
    },
}

fn default_decline() -> String {
    "card_declined".into()
}

/// The gateway could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// No answer (network, timeout, 5xx): retry later.
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    /// An answer that makes no sense.
    #[error("payment gateway answered unexpectedly: {0}")]
    BadResponse(String),
}

impl ErrorCode for GatewayError {
    fn code(&self) -> &'static str {
        match self {
            GatewayError::Unavailable(_) => "gateway.unavailable",
            GatewayError::BadResponse(_) => "gateway.bad_response",
        }
    }
}

/// A card payment gateway.
pub trait PaymentGateway: Send + Sync {
    /// Reserves `amount` on the card `card_token`.
    fn authorize<'a>(
        &'a self,
        key: &'a str,
        card_token: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<Authorization, GatewayError>>;
    /// Charges the authorized `amount` of `payment`.
    fn capture<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>>;
    /// Releases the authorization of `payment`.
    fn void<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
    ) -> BoxFuture<'a, Result<(), GatewayError>>;
}

/// The built-in gateway (no network).
#[derive(Debug, Clone)]
pub struct FakeGateway {
    /// How long `tok_slow` takes.
    pub slow: Duration,
}

impl Default for FakeGateway {
    fn default() -> Self {
        Self::from_settings(&PaymentsSettings::default())
    }
}

impl FakeGateway {
    /// The fake with `payments.fake_slow_ms`.
    pub fn from_settings(settings: &PaymentsSettings) -> Self {
        Self {
            slow: Duration::from_millis(settings.fake_slow_ms),
        }
    }
}

impl PaymentGateway for FakeGateway {
    fn authorize<'a>(
        &'a self,
        _key: &'a str,
        card_token: &'a str,
        _amount: Money,
    ) -> BoxFuture<'a, Result<Authorization, GatewayError>> {
        Box::pin(async move {
            match card_token.trim() {
                "tok_decline" => Ok(Authorization::Declined {
                    reason: "card_declined".into(),
                }),
                "tok_slow" => {
                    tokio::time::sleep(self.slow).await;
                    Ok(Authorization::Approved)
                }
                _ => Ok(Authorization::Approved),
            }
        })
    }

    fn capture<'a>(
        &'a self,
        _key: &'a str,
        _payment: PaymentId,
        _amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async { Ok(()) })
    }

    fn void<'a>(
        &'a self,
        _key: &'a str,
        _payment: PaymentId,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async { Ok(()) })
    }
}

/// A gateway over HTTP.
#[derive(Debug, Clone)]
pub struct HttpGateway {
    /// Base URL, e.g. `http://127.0.0.1:9000/v1`.
    pub base_url: String,
    client: reqwest::Client,
}

impl HttpGateway {
    /// A gateway at `base_url` with a 10 s request timeout.
    pub fn new(base_url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            client,
        }
    }

    async fn post(
        &self,
        path: &str,
        key: &str,
        body: serde_json::Value,
    ) -> Result<reqwest::Response, GatewayError> {
        let response = self
            .client
            .post(format!("{}/{path}", self.base_url))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(GatewayError::Unavailable(format!("status {status}")));
        }
        if !status.is_success() {
            return Err(GatewayError::BadResponse(format!("status {status}")));
        }
        Ok(response)
    }
}

impl PaymentGateway for HttpGateway {
    fn authorize<'a>(
        &'a self,
        key: &'a str,
        card_token: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<Authorization, GatewayError>> {
        Box::pin(async move {
            let body = serde_json::json!({"card_token": card_token, "amount": amount});
            self.post("authorizations", key, body)
                .await?
                .json::<Authorization>()
                .await
                .map_err(|e| GatewayError::BadResponse(e.to_string()))
        })
    }

    fn capture<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let body = serde_json::json!({"payment_id": payment, "amount": amount});
            self.post("captures", key, body).await.map(|_| ())
        })
    }

    fn void<'a>(
        &'a self,
        key: &'a str,
        payment: PaymentId,
    ) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let body = serde_json::json!({"payment_id": payment});
            self.post("voids", key, body).await.map(|_| ())
        })
    }
}

/// The gateway this replica uses: HTTP if `payments.gateway_url` is set, else the fake.
pub fn from_settings(settings: &PaymentsSettings) -> std::sync::Arc<dyn PaymentGateway> {
    match settings.gateway() {
        Some(url) => std::sync::Arc::new(HttpGateway::new(url.to_string())),
        None => std::sync::Arc::new(FakeGateway::from_settings(settings)),
    }
}
