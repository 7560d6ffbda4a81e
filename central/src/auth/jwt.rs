//! NATS JWTs (version 2) for account-based auth, signed with nkeys: the operator's (self-signed),
//! the accounts' (signed by the operator) and the users' (signed by their account).
//!
//! A JWT is `base64url(header).base64url(claims).base64url(ed25519 signature of the first two)`
//! with the header `{"typ":"JWT","alg":"ed25519-nkey"}`; the claims carry `jti` (base32 of the
//! SHA-512/256 of the claims without it), `iat`, `iss` (the signer's public key), `sub` (the
//! subject's public key), `name` and a `nats` object with the type-specific fields. nats-server
//! verifies the chain operator → account → user, so a user JWT the server has never seen is
//! accepted: enrolling a device needs no server reload.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nkeys::KeyPair;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha512_256};
use std::collections::BTreeMap;

const HEADER: &str = r#"{"typ":"JWT","alg":"ed25519-nkey"}"#;

/// `-1`: no limit.
const UNLIMITED: i64 = -1;

/// A signed JWT from `claims` (without `jti`, `iat`, `iss`): adds those, signs with `issuer`.
fn sign(
    issuer: &KeyPair,
    mut claims: Map<String, Value>,
    issued_at: i64,
) -> Result<String, String> {
    claims.insert("iat".into(), json!(issued_at));
    claims.insert("iss".into(), json!(issuer.public_key()));
    claims.remove("jti");
    let unhashed = serde_json::to_vec(&claims).map_err(|e| e.to_string())?;
    let jti = data_encoding::BASE32_NOPAD.encode(&Sha512_256::digest(&unhashed));
    claims.insert("jti".into(), json!(jti));
    let body = serde_json::to_vec(&claims).map_err(|e| e.to_string())?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(body)
    );
    let signature = issuer
        .sign(signing_input.as_bytes())
        .map_err(|e| format!("nkey signature: {e}"))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

fn claims(subject: &str, name: &str, nats: Value) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject));
    claims.insert("name".into(), json!(name));
    claims.insert("nats".into(), nats);
    claims
}

/// The operator's JWT (self-signed), naming the system account.
pub fn operator_jwt(
    operator: &KeyPair,
    name: &str,
    system_account: &str,
    issued_at: i64,
) -> Result<String, String> {
    let nats = json!({"system_account": system_account, "type": "operator", "version": 2});
    sign(
        operator,
        claims(&operator.public_key(), name, nats),
        issued_at,
    )
}

/// An account's JWT, signed by the operator. `jetstream` gives it unlimited JetStream (the
/// product's account); `revocations` maps user public keys to the time before which (inclusive)
/// their JWTs are refused.
pub fn account_jwt(
    operator: &KeyPair,
    account: &str,
    name: &str,
    jetstream: bool,
    revocations: &BTreeMap<String, i64>,
    issued_at: i64,
) -> Result<String, String> {
    let mut limits = json!({
        "subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED, "imports": UNLIMITED,
        "exports": UNLIMITED, "wildcards": true, "conn": UNLIMITED, "leaf": UNLIMITED,
    });
    if jetstream {
        let js = json!({
            "mem_storage": UNLIMITED, "disk_storage": UNLIMITED, "streams": UNLIMITED,
            "consumer": UNLIMITED, "max_ack_pending": UNLIMITED,
            "mem_max_stream_bytes": UNLIMITED, "disk_max_stream_bytes": UNLIMITED,
            "max_bytes_required": false,
        });
        limits
            .as_object_mut()
            .expect("object")
            .extend(js.as_object().expect("object").clone());
    }
    let mut nats = json!({
        "limits": limits,
        "default_permissions": {"pub": {}, "sub": {}},
        "type": "account",
        "version": 2,
    });
    if !revocations.is_empty() {
        nats["revocations"] = json!(revocations);
    }
    sign(operator, claims(account, name, nats), issued_at)
}

/// The publish and subscribe subjects a user may use (`None`: every subject).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRights {
    /// Subjects it may publish to.
    pub publish: Option<Vec<String>>,
    /// Subjects it may subscribe to.
    pub subscribe: Option<Vec<String>>,
}

/// A user's JWT, signed by its account.
pub fn user_jwt(
    account: &KeyPair,
    user: &str,
    name: &str,
    rights: &UserRights,
    issued_at: i64,
) -> Result<String, String> {
    let allow = |subjects: &Option<Vec<String>>| match subjects {
        Some(list) => json!({ "allow": list }),
        None => json!({}),
    };
    let nats = json!({
        "pub": allow(&rights.publish),
        "sub": allow(&rights.subscribe),
        "subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED,
        "type": "user",
        "version": 2,
    });
    sign(account, claims(user, name, nats), issued_at)
}

/// The claims of `jwt` after checking its signature against its `iss` (for tests and
/// `auth show`): `Err` names what is wrong.
pub fn verified_claims(jwt: &str) -> Result<Value, String> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT (three dot-separated parts)".into());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let claims: Value = serde_json::from_slice(&decode(body)?).map_err(|e| e.to_string())?;
    let issuer = claims["iss"].as_str().ok_or("no iss")?;
    KeyPair::from_public_key(issuer)
        .map_err(|e| e.to_string())?
        .verify(format!("{header}.{body}").as_bytes(), &decode(signature)?)
        .map_err(|e| format!("bad signature: {e}"))?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_jwt_is_signed_by_its_account_with_its_rights() {
        let account = KeyPair::new_account();
        let user = KeyPair::new_user();
        let rights = UserRights {
            publish: Some(vec!["a.>".into()]),
            subscribe: Some(vec!["_INBOX_k1.>".into()]),
        };
        let jwt = user_jwt(&account, &user.public_key(), "k1", &rights, 1_700_000_000).unwrap();
        let claims = verified_claims(&jwt).unwrap();
        assert_eq!(claims["iss"], json!(account.public_key()));
        assert_eq!(claims["sub"], json!(user.public_key()));
        assert_eq!(claims["nats"]["pub"]["allow"], json!(["a.>"]));
        assert_eq!(claims["nats"]["type"], json!("user"));
        assert_eq!(claims["jti"].as_str().unwrap().len(), 52);
        let mut tampered = jwt.clone();
        tampered.insert(jwt.find('.').unwrap() + 3, 'x');
        assert!(verified_claims(&tampered).is_err());
    }

    #[test]
    fn the_product_account_has_jetstream_and_its_revocations() {
        let operator = KeyPair::new_operator();
        let account = KeyPair::new_account();
        let revoked = BTreeMap::from([("UABC".to_owned(), 1_700_000_100)]);
        let jwt = account_jwt(
            &operator,
            &account.public_key(),
            "MALLBOTS",
            true,
            &revoked,
            1,
        )
        .unwrap();
        let claims = verified_claims(&jwt).unwrap();
        assert_eq!(claims["nats"]["limits"]["disk_storage"], json!(-1));
        assert_eq!(claims["nats"]["revocations"]["UABC"], json!(1_700_000_100));
        let sys = account_jwt(&operator, "ASYS", "SYS", false, &BTreeMap::new(), 1).unwrap();
        assert!(verified_claims(&sys).unwrap()["nats"]["limits"]
            .get("disk_storage")
            .is_none());
        let op = operator_jwt(&operator, "mall", "ASYS", 1).unwrap();
        let claims = verified_claims(&op).unwrap();
        assert_eq!(claims["iss"], claims["sub"]);
        assert_eq!(claims["nats"]["system_account"], json!("ASYS"));
    }
}
