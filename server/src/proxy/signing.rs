//! Request signing of the Zephr Admin API (`ZEPHR-HMAC-SHA256`).
//!
//! Every request carries `Authorization: ZEPHR-HMAC-SHA256 {accessKey}:{timestamp}:{nonce}:{hash}`
//! where `hash` is the lowercase hex SHA-256 digest (a plain digest, not an HMAC construction) of
//! `secretKey + body + path + query + METHOD + timestamp + nonce`. `path` has no host, `query`
//! has no leading `?`, `timestamp` is in milliseconds since the Unix epoch and `nonce` must be
//! unique per request.

use sha2::{Digest, Sha256};

/// Scheme name at the start of the `Authorization` header.
pub const SCHEME: &str = "ZEPHR-HMAC-SHA256";

/// Parts of one request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// Request body exactly as sent; empty for `GET`.
    pub body: &'a [u8],
    /// Request path exactly as sent, percent-encoding included, without the host.
    pub path: &'a str,
    /// Query string exactly as sent, without the leading `?`; empty when there is none.
    pub query: &'a str,
    /// HTTP method; it is upper-cased before hashing.
    pub method: &'a str,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Value unique to this request, usually a UUID.
    pub nonce: &'a str,
}

/// Computes the lowercase hex SHA-256 hash of `request` signed with `secret_key`.
pub fn signature_hash(secret_key: &str, request: &SignedRequest<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(secret_key.as_bytes());
    hasher.update(request.body);
    hasher.update(request.path.as_bytes());
    hasher.update(request.query.as_bytes());
    hasher.update(request.method.to_ascii_uppercase().as_bytes());
    hasher.update(request.timestamp_ms.to_string().as_bytes());
    hasher.update(request.nonce.as_bytes());
    hex::encode(hasher.finalize())
}

/// Builds the `Authorization` header value that signs `request` with the key pair.
pub fn authorization(access_key: &str, secret_key: &str, request: &SignedRequest<'_>) -> String {
    let hash = signature_hash(secret_key, request);
    format!(
        "{SCHEME} {access_key}:{timestamp}:{nonce}:{hash}",
        timestamp = request.timestamp_ms,
        nonce = request.nonce,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "6f1c3a52-0d4b-4b8e-9a7c-2e5d1f0b3c4a";
    const TIMESTAMP_MS: u64 = 1_707_230_240_685;

    fn lookup(path: &'static str, query: &'static str) -> SignedRequest<'static> {
        SignedRequest {
            body: b"",
            path,
            query,
            method: "GET",
            timestamp_ms: TIMESTAMP_MS,
            nonce: NONCE,
        }
    }

    #[test]
    fn known_answer_plain_path() {
        let request = lookup("/v4/sessions/www/26a73b7a-f7d0-48d8-85dd-a04b07313895", "");
        assert_eq!(
            signature_hash("s3cr3t", &request),
            "c9306d78c475284df1ea778f8775a9034095177651d9300909462b6a9b237328"
        );
    }

    #[test]
    fn known_answer_encoded_path_and_query() {
        let request = lookup("/v4/sessions/www/a%2Fb", "x=1&y=2");
        assert_eq!(
            signature_hash("s3cr3t", &request),
            "51eea5ec078e4f9afba8779257a2def270b676fcee7384fff7ef0a913a38c594"
        );
    }

    #[test]
    fn method_is_upper_cased() {
        let upper = lookup("/v4/sessions/www/a%2Fb", "x=1&y=2");
        let lower = SignedRequest {
            method: "get",
            ..upper
        };
        assert_eq!(
            signature_hash("s3cr3t", &lower),
            signature_hash("s3cr3t", &upper)
        );
    }

    #[test]
    fn every_part_changes_the_hash() {
        let base = lookup("/v4/sessions/www/a%2Fb", "x=1&y=2");
        let expected = signature_hash("s3cr3t", &base);
        let variants = [
            SignedRequest {
                body: b"{}",
                ..base
            },
            SignedRequest {
                path: "/v4/sessions/www/a/b",
                ..base
            },
            SignedRequest {
                query: "x=1",
                ..base
            },
            SignedRequest {
                method: "POST",
                ..base
            },
            SignedRequest {
                timestamp_ms: TIMESTAMP_MS + 1,
                ..base
            },
            SignedRequest {
                nonce: "6f1c3a52-0d4b-4b8e-9a7c-2e5d1f0b3c4b",
                ..base
            },
        ];
        for variant in variants {
            assert_ne!(signature_hash("s3cr3t", &variant), expected, "{variant:?}");
        }
        assert_ne!(signature_hash("s3cr3T", &base), expected);
    }

    #[test]
    fn authorization_header_format() {
        let request = lookup("/v4/sessions/www/26a73b7a-f7d0-48d8-85dd-a04b07313895", "");
        assert_eq!(
            authorization("AK123", "s3cr3t", &request),
            "ZEPHR-HMAC-SHA256 AK123:1707230240685:6f1c3a52-0d4b-4b8e-9a7c-2e5d1f0b3c4a:\
             c9306d78c475284df1ea778f8775a9034095177651d9300909462b6a9b237328"
        );
    }
}
