//! Gateway tests: the fake's card tokens, and the HTTP gateway against a real axum server.

mod fake {
    use super::super::gateway::*;
    use mallbots_domain::Currency;
    use mallbots_domain::Money;
    use std::time::Duration;

    #[tokio::test]
    async fn fake_gateway_declines_tok_decline_and_delays_tok_slow() {
        let g = FakeGateway {
            slow: Duration::from_millis(30),
        };
        let amount = Money::new(100, Currency::default());
        assert!(matches!(
            g.authorize("k", "tok_decline", amount).await,
            Ok(Authorization::Declined { .. })
        ));
        let started = std::time::Instant::now();
        assert_eq!(
            g.authorize("k", "tok_slow", amount).await,
            Ok(Authorization::Approved)
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert_eq!(
            g.authorize("k", "tok_visa", amount).await,
            Ok(Authorization::Approved)
        );
    }

    #[test]
    fn authorization_answers_decode() {
        let a: Authorization = serde_json::from_str(r#"{"status":"approved"}"#).unwrap();
        assert_eq!(a, Authorization::Approved);
        let d: Authorization = serde_json::from_str(r#"{"status":"declined"}"#).unwrap();
        assert_eq!(
            d,
            Authorization::Declined {
                reason: "card_declined".into()
            }
        );
    }
}

mod http {
    use super::super::gateway::*;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::routing::post;
    use axum::{Json, Router};
    use mallbots_domain::error::ErrorCode;
    use mallbots_domain::Currency;
    use mallbots_domain::{Money, PaymentId};
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

    async fn record(seen: &Seen, path: &str, headers: &HeaderMap, body: serde_json::Value) {
        let key = headers
            .get("Idempotency-Key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        seen.lock().unwrap().push((path.to_string(), key, body));
    }

    /// A real HTTP gateway on port 0: declines `tok_decline`, records every call.
    async fn serve() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app = Router::new()
            .route(
                "/v1/authorizations",
                post(
                    |State(s): State<Seen>, h: HeaderMap, Json(b): Json<serde_json::Value>| async move {
                        record(&s, "authorizations", &h, b.clone()).await;
                        if b["card_token"] == "tok_decline" {
                            Json(serde_json::json!({"status": "declined", "reason": "insufficient_funds"}))
                        } else {
                            Json(serde_json::json!({"status": "approved"}))
                        }
                    },
                ),
            )
            .route(
                "/v1/captures",
                post(
                    |State(s): State<Seen>, h: HeaderMap, Json(b): Json<serde_json::Value>| async move {
                        record(&s, "captures", &h, b).await;
                        Json(serde_json::json!({}))
                    },
                ),
            )
            .route(
                "/v1/voids",
                post(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/v1/"), seen)
    }

    #[tokio::test]
    async fn http_gateway_speaks_the_protocol_with_idempotency_keys() {
        let (url, seen) = serve().await;
        let g = HttpGateway::new(url);
        let amount = Money::new(1_250, Currency::default());
        assert_eq!(
            g.authorize("cmd-1", "tok_visa", amount).await,
            Ok(Authorization::Approved)
        );
        assert_eq!(
            g.authorize("cmd-2", "tok_decline", amount).await,
            Ok(Authorization::Declined {
                reason: "insufficient_funds".into()
            })
        );
        let payment = PaymentId(uuid::Uuid::from_u128(7));
        g.capture("cmd-3", payment, amount).await.unwrap();
        let err = g.void("cmd-4", payment).await.unwrap_err();
        assert_eq!(err.code(), "gateway.unavailable");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].0, "authorizations");
        assert_eq!(seen[0].1, "cmd-1");
        assert_eq!(seen[0].2["amount"]["cents"], 1_250);
        assert_eq!(seen[2].0, "captures");
        assert_eq!(seen[2].1, "cmd-3");
        assert_eq!(seen[2].2["payment_id"], payment.to_string());
    }

    #[tokio::test]
    async fn unreachable_gateway_is_unavailable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let g = HttpGateway::new(format!("http://127.0.0.1:{port}"));
        let err = g
            .authorize("k", "tok_visa", Money::new(1, Currency::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "gateway.unavailable");
    }
}
